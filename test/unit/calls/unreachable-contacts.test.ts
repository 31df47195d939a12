import assert from 'node:assert/strict';
import winston from 'winston';
import { avoidUnreachable, fixedRing, UnreachableContacts, UserCallPlan, type RingNext, type RingSequence, type StepOutcome, type UserCallHook } from '../../../lib/calls';

const logger = winston.createLogger({ silent: true });
const phone = (user: string, n = 1): { uri: string } => ({ uri: `sip:${user}@10.0.0.${n}:5060` });

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('UnreachableContacts: contacts that answered nothing are skipped for a while', () => {
  it('remembers a silent contact for the TTL only', () => {
    const c = clock();
    const u = new UnreachableContacts({ ttlMs: 60000, max: 10, now: c.now });
    u.silent(phone('bob'));
    assert.equal(u.isUnreachable(phone('bob')), true);
    assert.equal(u.isUnreachable(phone('bob', 2)), false, 'another address of the same user is not');
    assert.equal(u.isUnreachable({ ...phone('bob'), proxy: 'sip:10.0.0.9:5060' }), false, 'the same URI behind another next hop is not');
    c.advance(59999);
    assert.equal(u.isUnreachable(phone('bob')), true);
    c.advance(1);
    assert.equal(u.isUnreachable(phone('bob')), false);
    assert.equal(u.size, 0);
  });

  it('forgets a contact that answered something', () => {
    const u = new UnreachableContacts({ ttlMs: 60000, max: 10 });
    u.silent(phone('bob'));
    u.heard(phone('bob'));
    assert.equal(u.isUnreachable(phone('bob')), false);
  });

  it('holds at most `max` contacts, forgetting the oldest first', () => {
    const c = clock();
    const u = new UnreachableContacts({ ttlMs: 60000, max: 3, now: c.now });
    for (let i = 1; i <= 1000; i++) {
      u.silent(phone('x', i));
      c.advance(1);
    }
    assert.equal(u.size, 3);
    assert.equal(u.isUnreachable(phone('x', 1000)), true);
    assert.equal(u.isUnreachable(phone('x', 997)), false);
  });

  it('a TTL of 0 turns it off', () => {
    const u = new UnreachableContacts({ ttlMs: 0, max: 10 });
    u.silent(phone('bob'));
    assert.equal(u.isUnreachable(phone('bob')), false);
  });
});

describe('avoidUnreachable: a ring sequence that does not ring silent contacts', () => {
  const silentBob = (): UnreachableContacts => {
    const u = new UnreachableContacts({ ttlMs: 60000, max: 10 });
    u.silent(phone('bob'));
    return u;
  };

  it('rings only the contacts not known unreachable', async () => {
    const n = await avoidUnreachable(fixedRing([phone('bob'), phone('bob', 2)], 30000), silentBob()).first();
    assert.equal(n.kind, 'ring');
    assert.deepEqual((n as Extract<RingNext, { kind: 'ring' }>).targets, [phone('bob', 2)]);
  });

  it('a step with only unreachable contacts: 480 at once, nothing rung', async () => {
    const n = await avoidUnreachable(fixedRing([phone('bob')], 30000), silentBob()).first();
    assert.deepEqual(n, { kind: 'final', status: 480, reason: 'Temporarily Unavailable' });
  });

  it('a user call: the hooks see the skipped step as unreachable (forward on unreachable still works)', async () => {
    const seen: string[] = [];
    const fwd: UserCallHook = {
      afterOutcome: (ctx, outcome) => {
        seen.push(`${ctx.user}:${outcome}`);
        return ctx.user === 'bob' ? { action: 'divert', user: 'carol', cause: 'unreachable' } : undefined;
      },
    };
    const plan = new UserCallPlan({
      hooks: [fwd], ringMs: 30000, maxUsers: 6, logger,
      contacts: async (user) => [phone(user, user === 'bob' ? 1 : 3)],
      isUser: async () => true,
    }, { tenant: 'example.com', caller: { user: 'alice', uri: 'sip:alice@example.com', anonymous: false, account: 'alice' }, dialed: 'bob', logger });
    const n = await avoidUnreachable(plan, silentBob()).first();
    assert.deepEqual(seen, ['bob:unreachable']);
    assert.equal(n.kind, 'ring');
    assert.deepEqual((n as Extract<RingNext, { kind: 'ring' }>).targets, [phone('carol', 3)]);
  });

  it('stops a sequence that keeps handing out unreachable steps', async () => {
    let asked = 0;
    const endless: RingSequence = {
      first: async () => ({ kind: 'ring', targets: [phone('bob')], ringMs: 1000 }),
      next: async (_o: StepOutcome) => {
        asked++;
        return { kind: 'ring', targets: [phone('bob')], ringMs: 1000 };
      },
    };
    const n = await avoidUnreachable(endless, silentBob()).first();
    assert.equal(n.kind, 'final');
    assert.ok(asked > 0 && asked <= 16, `asked ${asked} times`);
  });
});
