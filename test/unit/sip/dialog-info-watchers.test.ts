import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { SubscribeContext } from '../../../lib/feature';
import { capDialogs, DialogInfoWatchers, type DialogInfoEntry } from '../../../lib/sip/dialog-info';

interface Sent {
  headers: Record<string, string>;
  body: string;
}

/** srf's side of a SUBSCRIBE dialog: records the NOTIFYs and answers them as told. */
class FakeDialog extends EventEmitter {
  readonly notifies: Sent[] = [];
  destroyed = 0;
  constructor(private readonly answer: (n: Sent) => Promise<{ status: number }>) {
    super();
  }

  request(o: Sent): Promise<{ status: number }> {
    this.notifies.push(o);
    return this.answer(o);
  }

  destroy(): Promise<void> {
    this.destroyed++;
    return Promise.resolve();
  }
}

const logger = { info: () => undefined, warn: () => undefined, child: () => logger } as unknown as Logger;
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function harness(answer: (n: Sent) => Promise<{ status: number }> = async () => ({ status: 200 })) {
  const dialogs: FakeDialog[] = [];
  const srf = {
    createUAS: async (_req: unknown, res: { send(s: number): void }) => {
      res.send(200);
      const d = new FakeDialog(answer);
      dialogs.push(d);
      return d;
    },
  } as unknown as Srf;
  const ctx = (subscriber: string, expires = '600', contact = '<sip:phone@127.0.0.1:5070>'): SubscribeContext & { statuses: Array<{ status: number; reason?: string; headers?: Record<string, string> }> } => {
    const statuses: Array<{ status: number; reason?: string; headers?: Record<string, string> }> = [];
    return {
      statuses,
      req: { get: (h: string) => (h === 'Expires' ? expires : h === 'Contact' ? contact : undefined) } as unknown as Srf.SrfRequest,
      res: { send: (status: number, reason?: string, o?: { headers?: Record<string, string> }) => statuses.push({ status, reason, headers: o?.headers }) } as unknown as Srf.SrfResponse,
      tenant: 't', subscriber, target: '', logger,
    };
  };
  return { srf, dialogs, ctx };
}

describe('sip: dialog-info watchers (RFC 4235, RFC 6665 limits)', () => {
  let w: DialogInfoWatchers | undefined;
  afterEach(() => w?.close());

  it('refuses subscriptions past the per-subscriber cap with 403 and past the total with 503 and Retry-After', async () => {
    const h = harness();
    w = new DialogInfoWatchers(h.srf, () => [], { maxPerSubscriber: 2, maxPerResource: 10, maxTotal: 3 });
    for (const target of ['100', '101']) await w.subscribe(h.ctx('alice'), target);
    const third = h.ctx('alice');
    await w.subscribe(third, '102');
    assert.equal(third.statuses[0].status, 403);
    await w.subscribe(h.ctx('bob'), '100');
    const over = h.ctx('carol');
    await w.subscribe(over, '100');
    assert.equal(over.statuses[0].status, 503);
    assert.ok(Number(over.statuses[0].headers?.['Retry-After']) > 0);
    assert.equal(h.dialogs.length, 3, 'a refused SUBSCRIBE creates no dialog');
    assert.equal(w.size, 3);
  });

  it('refuses past the per-resource cap with 403', async () => {
    const h = harness();
    w = new DialogInfoWatchers(h.srf, () => [], { maxPerResource: 2 });
    await w.subscribe(h.ctx('a'), '100');
    await w.subscribe(h.ctx('b'), '100');
    const c = h.ctx('c');
    await w.subscribe(c, '100');
    assert.equal(c.statuses[0].status, 403);
    const d = h.ctx('d');
    await w.subscribe(d, '101');
    assert.equal(d.statuses[0].status, 200);
  });

  it('answers an Expires under the minimum with 423 and Min-Expires, and shortens one over the maximum', async () => {
    const h = harness();
    w = new DialogInfoWatchers(h.srf, () => [], { minExpires: 60, maxExpires: 300 });
    const brief = h.ctx('a', '10');
    await w.subscribe(brief, '100');
    assert.deepEqual([brief.statuses[0].status, brief.statuses[0].headers?.['Min-Expires']], [423, '60']);
    await w.subscribe(h.ctx('a', '100000'), '100');
    await wait(10);
    assert.match(h.dialogs[0].notifies[0].headers['Subscription-State'], /^active;expires=(300|299)$/);
  });

  it('answers Expires 0 on a new SUBSCRIBE with one NOTIFY that ends it, and keeps no subscription (a fetch, RFC 6665 4.4.3)', async () => {
    const h = harness();
    w = new DialogInfoWatchers(h.srf, () => [{ id: 'x', state: 'early' }]);
    const fetch = h.ctx('a', '0');
    await w.subscribe(fetch, '100');
    assert.equal(fetch.statuses[0].status, 200);
    assert.equal(h.dialogs[0].notifies.length, 1);
    assert.equal(h.dialogs[0].notifies[0].headers['Subscription-State'], 'terminated;reason=timeout');
    assert.match(h.dialogs[0].notifies[0].body, /id="x"/);
    assert.equal(w.size, 0);
    assert.equal(w.watched('t', '100'), false);
  });

  it('removes a subscription whose NOTIFY gets 481 and frees its place (RFC 6665 4.2.2)', async () => {
    let status = 200;
    const h = harness(async () => ({ status }));
    w = new DialogInfoWatchers(h.srf, () => [], { maxPerSubscriber: 1, notifyIntervalMs: 0 });
    await w.subscribe(h.ctx('alice'), '100');
    await wait(10);
    assert.equal(w.size, 1);
    status = 481;
    w.changed('t', '100');
    await wait(20);
    assert.equal(w.size, 0);
    assert.equal(w.watched('t', '100'), false);
    assert.equal(h.dialogs[0].destroyed, 1, "srf's side of the dialog is ended too");
    w.changed('t', '100');
    await wait(10);
    assert.equal(h.dialogs[0].notifies.length, 2, 'no NOTIFY after it is gone');
    const again = h.ctx('alice');
    await w.subscribe(again, '101');
    assert.equal(again.statuses[0].status, 200, 'the subscriber may subscribe again');
  });

  it('removes a subscription whose NOTIFY times out (408) or cannot be sent', async () => {
    let fail: () => Promise<{ status: number }> = async () => ({ status: 200 });
    const h = harness(() => fail());
    w = new DialogInfoWatchers(h.srf, () => [], { notifyIntervalMs: 0 });
    await w.subscribe(h.ctx('a'), '100');
    await w.subscribe(h.ctx('b'), '101');
    await wait(10);
    fail = async () => ({ status: 408 });
    w.changed('t', '100');
    fail = () => Promise.reject(new Error('ENODIALOG'));
    w.changed('t', '101');
    await wait(20);
    assert.equal(w.size, 0);
  });

  it('refuses new subscriptions and fetches with 503 Retry-After while the subscriber leaves a NOTIFY unanswered, and after it timed out', async () => {
    const answers: Array<(status: number) => void> = [];
    const h = harness(() => new Promise((r) => answers.push((status) => r({ status }))));
    w = new DialogInfoWatchers(h.srf, () => [], { unansweredNotifyMs: 30, unresponsiveHoldMs: 200 });
    await w.subscribe(h.ctx('mallory'), '100');
    await wait(10);
    const young = h.ctx('mallory');
    await w.subscribe(young, '101');
    assert.equal(young.statuses[0].status, 200, 'a NOTIFY just sent is no reason to refuse');
    await wait(40);
    for (const expires of ['600', '0']) {
      const late = h.ctx('mallory', expires);
      await w.subscribe(late, '102');
      assert.equal(late.statuses[0].status, 503, `Expires ${expires}`);
      assert.ok(Number(late.statuses[0].headers?.['Retry-After']) > 0);
    }
    const other = h.ctx('alice');
    await w.subscribe(other, '102');
    assert.equal(other.statuses[0].status, 200, 'other subscribers are not affected');
    assert.equal(h.dialogs.length, 3, 'a refused SUBSCRIBE creates no dialog and sends no NOTIFY');
    answers.shift()?.(408); // Timer F on the first subscription's NOTIFY
    answers.shift()?.(200);
    await wait(10);
    const held = h.ctx('mallory');
    await w.subscribe(held, '103');
    assert.equal(held.statuses[0].status, 503, 'held back after a timeout although nothing is in flight');
    await wait(250);
    const again = h.ctx('mallory');
    await w.subscribe(again, '103');
    assert.equal(again.statuses[0].status, 200, 'and taken again once the hold is over');
  });

  it('sends the final NOTIFY of an expired subscription only after the one in flight is answered', async () => {
    const answers: Array<(status: number) => void> = [];
    const h = harness(() => new Promise((r) => answers.push((status) => r({ status }))));
    w = new DialogInfoWatchers(h.srf, () => [], { minExpires: 1 });
    await w.subscribe(h.ctx('alice', '1'), '100');
    await wait(1100);
    const d = h.dialogs[0];
    assert.equal(w.size, 0, 'expired');
    assert.equal(d.destroyed, 0, 'no final NOTIFY while the first one is unanswered');
    answers.shift()?.(200);
    await wait(10);
    assert.equal(d.destroyed, 1, 'the final NOTIFY once it is answered');
  });

  it('answers a SUBSCRIBE without Contact with 400, holding nothing (RFC 6665 4.1.2.1)', async () => {
    const h = harness();
    w = new DialogInfoWatchers(h.srf, () => [], { maxPerSubscriber: 1 });
    for (const contact of ['', '  ']) {
      const bad = h.ctx('alice', '600', contact);
      await w.subscribe(bad, '100');
      assert.equal(bad.statuses[0].status, 400);
    }
    assert.equal(h.dialogs.length, 0);
    const good = h.ctx('alice');
    await w.subscribe(good, '100');
    assert.equal(good.statuses[0].status, 200, 'no budget was taken by the refused ones');
  });

  it('coalesces a burst of changes: one NOTIFY outstanding, few sent, the last state always among them', async () => {
    let state = 'none';
    const answers: Array<() => void> = [];
    const h = harness(() => new Promise((r) => answers.push(() => r({ status: 200 }))));
    w = new DialogInfoWatchers(h.srf, () => [{ id: state, state: 'early' }], { notifyIntervalMs: 30 });
    await w.subscribe(h.ctx('alice'), '100');
    await wait(10);
    const d = h.dialogs[0];
    assert.equal(d.notifies.length, 1);
    for (let i = 0; i < 200; i++) {
      state = `call-${i}`;
      w.changed('t', '100', [{ id: `gone-${i}`, state: 'terminated' }]);
    }
    assert.equal(w.outstanding, 1);
    assert.equal(d.notifies.length, 1, 'nothing more while the first NOTIFY is unanswered');
    answers.shift()?.();
    await wait(80);
    assert.equal(d.notifies.length, 2);
    assert.match(d.notifies[1].body, /id="call-199"/, 'the NOTIFY carries the state as it is when sent');
    const elements = d.notifies[1].body.split('<dialog ').length - 1;
    assert.ok(elements <= 16, `at most maxDialogs dialogs in a document, got ${elements}`);
    answers.shift()?.();
    await wait(80);
    assert.equal(d.notifies.length, 2, 'no change since: no NOTIFY');
  });

  it('keeps the ringing dialogs first when a document is over the cap', () => {
    const many: DialogInfoEntry[] = [
      ...Array.from({ length: 10 }, (_, i): DialogInfoEntry => ({ id: `t${i}`, state: 'terminated' })),
      ...Array.from({ length: 10 }, (_, i): DialogInfoEntry => ({ id: `c${i}`, state: 'confirmed' })),
      { id: 'ring', state: 'early' },
    ];
    const out = capDialogs(many, 5);
    assert.equal(out.length, 5);
    assert.equal(out[0].id, 'ring');
    assert.ok(out.slice(1).every((d) => d.state === 'confirmed'));
    assert.equal(capDialogs(many.slice(0, 3), 5).length, 3);
  });
});
