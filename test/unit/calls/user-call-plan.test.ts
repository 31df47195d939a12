import assert from 'node:assert/strict';
import winston from 'winston';
import { UserCallPlan, type RingNext, type StepOutcome, type UserCallHook } from '../../../lib/calls';

const logger = winston.createLogger({ silent: true });
const base = { tenant: 'example.com', caller: { user: 'alice', uri: 'sip:alice@example.com', anonymous: false, account: 'alice' }, dialed: 'bob', logger };
const busy: StepOutcome = { status: 486, rang: false, timedOut: false };

/** A plan over users whose phones are `sip:<user>@phone` (none for the users in `offline`). */
function plan(hooks: UserCallHook[], opts: { offline?: string[]; maxUsers?: number } = {}): UserCallPlan {
  return new UserCallPlan({
    hooks, ringMs: 30000, maxUsers: opts.maxUsers ?? 6, logger,
    contacts: async (user) => (opts.offline?.includes(user) ? [] : [{ uri: `sip:${user}@phone` }]),
    isUser: async (user) => !/^\+?[0-9]+$/.test(user),
  }, base);
}

function ring(n: RingNext): Extract<RingNext, { kind: 'ring' }> {
  assert.equal(n.kind, 'ring', JSON.stringify(n));
  return n as Extract<RingNext, { kind: 'ring' }>;
}

/** Forwards everyone in `map` unconditionally. */
const cfu = (map: Record<string, string>): UserCallHook => ({
  beforeRing: (c) => (map[c.user] ? { action: 'divert', user: map[c.user], cause: 'unconditional' } : { action: 'continue' }),
});

describe('UserCallPlan: the ring plan of a call to a user', () => {
  it('rings the dialed user\'s contacts for the default ring time, no 181, no History-Info', async () => {
    const n = ring(await plan([]).first());
    assert.deepEqual(n.targets, [{ uri: 'sip:bob@phone' }]);
    assert.equal(n.ringMs, 30000);
    assert.equal(n.forwarded, false);
    assert.deepEqual(n.headers, {});
  });

  it('a user with no phone registered: 404 Not Registered', async () => {
    assert.deepEqual(await plan([], { offline: ['bob'] }).first(), { kind: 'final', status: 404, reason: 'Not Found - Not Registered' });
  });

  it('a hook that rejects ends the call with its status before anything rings', async () => {
    const p = plan([{ beforeRing: () => ({ action: 'reject', status: 403, reason: 'Screening Failure (Terminating)' }) }, cfu({ bob: 'carol' })]);
    assert.deepEqual(await p.first(), { kind: 'final', status: 403, reason: 'Screening Failure (Terminating)' });
  });

  it('follows a chain of unconditional forwards: 181, History-Info with an entry per user, Diversion most recent first', async () => {
    const n = ring(await plan([cfu({ bob: 'carol', carol: 'dave' })]).first());
    assert.deepEqual(n.targets, [{ uri: 'sip:dave@phone' }]);
    assert.equal(n.forwarded, true);
    assert.equal(n.callee, 'dave');
    assert.equal(n.headers?.['History-Info'],
      '<sip:bob@example.com?Reason=SIP%3Bcause%3D302>;index=1, <sip:carol@example.com;cause=302?Reason=SIP%3Bcause%3D302>;index=1.1;mp=1, <sip:dave@example.com;cause=302>;index=1.1.1;mp=1.1');
    assert.equal(n.headers?.Diversion, '<sip:carol@example.com>;reason=unconditional;counter=1, <sip:bob@example.com>;reason=unconditional;counter=1');
  });

  it('a forwarding loop ends with 482 Loop Detected; a chain too long with 483', async () => {
    assert.deepEqual(await plan([cfu({ bob: 'carol', carol: 'bob' })]).first(), { kind: 'final', status: 482, reason: 'Loop Detected' });
    const long = plan([cfu({ bob: 'u1', u1: 'u2', u2: 'u3' })], { maxUsers: 3 });
    assert.deepEqual(await long.first(), { kind: 'final', status: 483, reason: 'Too Many Hops' });
  });

  it('after busy a hook diverts while the caller waits (181); with no hook the caller gets the busy', async () => {
    const hook: UserCallHook = { afterOutcome: (c, o) => (o === 'busy' && c.user === 'bob' ? { action: 'divert', user: 'carol', cause: 'busy' } : undefined) };
    const p = plan([hook]);
    assert.equal(ring(await p.first()).forwarded, false);
    const n = ring(await p.next(busy));
    assert.deepEqual(n.targets, [{ uri: 'sip:carol@phone' }]);
    assert.equal(n.forwarded, true);
    assert.match(n.headers?.Diversion ?? '', /reason=user-busy/);
    assert.deepEqual(await p.next(busy), { kind: 'final', status: 486, reason: undefined });
  });

  it('a diversion after an outcome back into the chain is refused: the caller gets the outcome itself', async () => {
    const p = plan([{ afterOutcome: (c) => ({ action: 'divert', user: c.user === 'bob' ? 'carol' : 'bob', cause: 'busy' }) }]);
    await p.first();
    ring(await p.next(busy));
    assert.deepEqual(await p.next(busy), { kind: 'final', status: 486, reason: undefined });
  });

  it('a user with no phone is unreachable: the no-answer forward takes it', async () => {
    const hook: UserCallHook = { afterOutcome: (_c, o) => (o === 'unreachable' ? { action: 'divert', user: 'carol', cause: 'unreachable' } : undefined) };
    const n = ring(await plan([hook], { offline: ['bob'] }).first());
    assert.deepEqual(n.targets, [{ uri: 'sip:carol@phone' }]);
    assert.match(n.headers?.['History-Info'] ?? '', /cause=404/);
  });

  it('408 when the ring time ran out and no branch ever answered, 480 when a phone rang (issue 17 item 7)', async () => {
    const p = plan([]);
    await p.first();
    assert.deepEqual(await p.next({ status: 487, rang: false, timedOut: true }), { kind: 'final', status: 408, reason: 'Request Timeout' });
    assert.deepEqual(await p.next({ status: 487, rang: true, timedOut: true }), { kind: 'final', status: 480, reason: 'Temporarily Unavailable - No Answer' });
  });

  it('a hook sets the ring time (CFNR after the user\'s own no-answer time)', async () => {
    const n = ring(await plan([{ beforeRing: () => ({ action: 'continue', ringMs: 12000 }) }]).first());
    assert.equal(n.ringMs, 12000);
  });

  describe('CFNR overlap', () => {
    const overlapTo = (target: string, ringMs = 5000): UserCallHook => ({
      beforeRing: (c) => (c.user === 'bob' ? { action: 'continue', ringMs, overlap: { user: target, cause: 'noAnswer' } } : { action: 'continue' }),
      afterOutcome: (c, o) => (c.user === 'bob' && o === 'noAnswer' ? { action: 'divert', user: target, cause: 'noAnswer' } : undefined),
    });
    const noAnswer: StepOutcome = { status: 487, rang: true, timedOut: true };

    it('the target rings alongside after the user\'s ring time, with its own History-Info and Diversion; nobody answering ends with 480, not a second forward', async () => {
      const p = plan([overlapTo('carol')]);
      const n = ring(await p.first());
      assert.deepEqual(n.targets, [{ uri: 'sip:bob@phone' }]);
      assert.equal(n.ringMs, 5000 + 30000, "the user's time, then the target's own");
      assert.equal(n.overlap?.afterMs, 5000);
      assert.deepEqual(n.overlap?.targets, [{ uri: 'sip:carol@phone', party: 'carol' }]);
      assert.match(n.overlap?.headers['History-Info'] ?? '', /<sip:carol@example\.com;cause=408>;index=1\.1;mp=1/);
      assert.equal(n.overlap?.headers.Diversion, '<sip:bob@example.com>;reason=no-answer;counter=1');
      assert.deepEqual(await p.next({ ...noAnswer, overlapped: true }), { kind: 'final', status: 480, reason: 'Temporarily Unavailable - No Answer' });
    });

    it('the phones busy before the overlap started: the call goes on as if there were none (CFB, not the overlap)', async () => {
      const p = plan([overlapTo('carol'), { afterOutcome: (c, o) => (c.user === 'bob' && o === 'busy' ? { action: 'divert', user: 'dave', cause: 'busy' } : undefined) }]);
      ring(await p.first());
      const n = ring(await p.next(busy));
      assert.deepEqual(n.targets, [{ uri: 'sip:dave@phone' }]);
      assert.equal(n.overlap, undefined);
    });

    it('no overlap to a target that cannot ring (no phone, forwarding itself, back into the chain): the forward follows the ring time as usual', async () => {
      for (const [hooks, offline] of [[[overlapTo('carol')], ['carol']], [[overlapTo('carol'), cfu({ carol: 'dave' })], []], [[overlapTo('bob')], []]] as const) {
        const n = ring(await plan([...hooks], { offline: [...offline] }).first());
        assert.equal(n.overlap, undefined);
        assert.equal(n.ringMs, 5000);
      }
    });
  });
});

describe('UserCallPlan: find-me (service example 2.11)', () => {
  const findMe: UserCallHook = {
    beforeRing: (c) => (c.user === 'bob'
      ? { action: 'sequence', steps: [{ users: ['bob'], ringMs: 10000 }, { users: ['desk'], ringMs: 15000 }, { users: ['mobile', 'home'], ringMs: 20000 }] }
      : { action: 'continue' }),
  };

  it('rings the locations one after another, each for its own time, with ringback; a group rings together', async () => {
    const p = plan([findMe], { offline: ['desk'] });
    const first = ring(await p.first());
    assert.deepEqual(first.targets, [{ uri: 'sip:bob@phone' }]);
    assert.equal(first.ringMs, 10000);
    assert.equal(first.ringback, true);
    assert.equal(first.forwarded, false, 'a location is no diversion: no 181');
    // desk has no phone: skipped; busy moves on like a timeout
    const third = ring(await p.next(busy));
    assert.deepEqual(third.targets, [{ uri: 'sip:mobile@phone' }, { uri: 'sip:home@phone' }]);
    assert.equal(third.ringMs, 20000);
    assert.deepEqual(await p.next({ status: 487, rang: true, timedOut: true }), { kind: 'final', status: 480, reason: 'Temporarily Unavailable - No Answer' });
  });

  it('a refusal (603) ends the sequence; after the last location the no-answer forward takes the call', async () => {
    const declined = plan([findMe]);
    await declined.first();
    assert.deepEqual(await declined.next({ status: 603, rang: true, timedOut: false }), { kind: 'final', status: 603, reason: undefined });
    const cfnr: UserCallHook = { afterOutcome: (c, o) => (c.user === 'bob' && o === 'noAnswer' ? { action: 'divert', user: 'carol', cause: 'noAnswer' } : undefined) };
    const p = plan([findMe, cfnr]);
    await p.first();
    const timeout: StepOutcome = { status: 487, rang: true, timedOut: true };
    ring(await p.next(timeout));
    ring(await p.next(timeout));
    const n = ring(await p.next(timeout));
    assert.deepEqual(n.targets, [{ uri: 'sip:carol@phone' }]);
    assert.equal(n.forwarded, true);
  });
});

describe('UserCallPlan: a diversion to a number goes through an outbound route', () => {
  const toNumber = cfu({ bob: '+19727293660' });

  it('the route\'s steps ring with 181, History-Info and Diversion; its failover is its own', async () => {
    const gateways = ['sip:+19727293660@gw1', 'sip:+19727293660@gw2'];
    let i = 0;
    const route: UserCallHook = {
      external: (c) => (c.dialed === '+19727293660' ? {
        first: async () => ({ kind: 'ring', targets: [{ uri: gateways[0] }], ringMs: 5000 }),
        next: async (o) => (o.status === 503 && ++i < gateways.length ? { kind: 'ring', targets: [{ uri: gateways[i] }], ringMs: 5000 } : { kind: 'final', status: o.status }),
      } : undefined),
    };
    const p = plan([toNumber, route]);
    const n = ring(await p.first());
    assert.deepEqual(n.targets, [{ uri: 'sip:+19727293660@gw1' }]);
    assert.equal(n.forwarded, true);
    assert.match(n.headers?.Diversion ?? '', /<sip:bob@example\.com>;reason=unconditional/);
    const n2 = ring(await p.next({ status: 503, rang: false, timedOut: false }));
    assert.deepEqual(n2.targets, [{ uri: 'sip:+19727293660@gw2' }]);
    assert.equal(n2.forwarded, false, '181 once per diversion');
    assert.deepEqual(await p.next({ status: 486, rang: false, timedOut: false }), { kind: 'final', status: 486 });
  });

  it('with no route the caller gets 404 and nothing rings (no open relay)', async () => {
    assert.deepEqual(await plan([toNumber]).first(), { kind: 'final', status: 404, reason: 'Not Found - No Route' });
  });
});
