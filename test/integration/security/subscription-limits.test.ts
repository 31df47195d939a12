import assert from 'node:assert/strict';
import type { SippResult } from '../../support/sipp';
import { coreFixture } from '../core/fixture';

/** The final response to the authenticated SUBSCRIBE and the NOTIFYs that followed it. */
function outcome(r: SippResult): { status: number | undefined; notifies: number } {
  const finals = r.events.filter((e) => e.dir === 'received' && e.status !== undefined && e.status >= 200 && e.status !== 407 && !e.retransmission);
  const notifies = r.events.filter((e) => e.dir === 'received' && e.method === 'NOTIFY' && e.status === undefined && !e.retransmission);
  return { status: finals[0]?.status, notifies: notifies.length };
}

/**
 * Issue #13, bounded memory: dialog-event subscriptions (RFC 6665) are capped per
 * subscriber, and one whose NOTIFY the subscriber answers 481 is removed (RFC 6665 4.2.2),
 * so SUBSCRIBEs with valid credentials cannot pile up state or NOTIFY storms.
 */
describe('security: dialog-event subscription limits', function () {
  this.timeout(60000);
  const fx = coreFixture({ SUBSCRIPTION_MAX_PER_SUBSCRIBER: '2' });

  /** the server's count of active subscriptions to users (GET /metrics) */
  async function active(): Promise<number> {
    const r = await fx.api('GET', '/metrics');
    const line = String(r.body).split('\n').find((l) => l.startsWith('feature_server_user_dialog_subscriptions '));
    return Number(line?.split(' ')[1] ?? NaN);
  }

  async function until(pred: () => Promise<boolean>, what: string, ms = 15000): Promise<void> {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      if (await pred()) return;
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('refuses a subscriber its third subscription with 403 while two are active, and takes it again once they ended', async () => {
    await fx.provision('sl-a');
    for (const u of ['sl-b', 'sl-c', 'sl-d']) await fx.provision(u, undefined, { dialogWatchers: ['sl-a'] });
    const watch = (target: string, expires: string): Promise<SippResult> =>
      fx.call('core-blf-authz.xml', 'sl-a', target, { vars: { caller: 'sl-a', expires }, timeoutSec: 30 });
    const long = [watch('sl-b', '8'), watch('sl-c', '8')];
    await until(async () => (await active()) === 2, 'two active subscriptions');
    const third = await watch('sl-d', '2');
    assert.equal(third.code, 0, third.errors);
    assert.deepEqual(outcome(third), { status: 403, notifies: 0 });
    for (const r of await Promise.all(long)) {
      assert.equal(r.code, 0, r.errors);
      assert.ok([200, 202].includes(outcome(r).status ?? 0), String(outcome(r).status));
    }
    assert.equal(await active(), 0);
    const again = await watch('sl-d', '2');
    assert.equal(again.code, 0, again.errors);
    assert.ok([200, 202].includes(outcome(again).status ?? 0), String(outcome(again).status));
  });

  it('removes a subscription whose NOTIFY the subscriber answers 481, and sends it nothing more', async () => {
    await fx.provision('sl-e');
    const r = await fx.call('core-blf-481.xml', 'sl-e', 'sl-e', { vars: { caller: 'sl-e', expires: '60' }, timeoutSec: 30 });
    assert.equal(r.code, 0, r.errors);
    assert.equal(outcome(r).notifies, 2, 'the first NOTIFY and the refresh\'s, none after the 481');
    assert.equal(await active(), 0, 'the subscription is gone, 55 s before it would have expired');
  });

  it('refuses a new subscription with 503 and Retry-After while the subscriber leaves its NOTIFY unanswered (no NOTIFY amplifier)', async () => {
    await fx.provision('sl-m');
    const mute = await fx.call('core-blf-unanswered.xml', 'sl-m', 'sl-m', { vars: { caller: 'sl-m', expires: '30' }, timeoutSec: 30 });
    assert.equal(mute.code, 0, mute.errors);
    assert.ok([200, 202].includes(outcome(mute).status ?? 0), String(outcome(mute).status));
    const notifies = mute.events.filter((e) => e.dir === 'received' && e.method === 'NOTIFY' && e.status === undefined);
    assert.ok(notifies.length >= 2, `the unanswered NOTIFY was retransmitted (${notifies.length} seen)`);
    // the first NOTIFY is now over 3 s unanswered (NOTIFY_UNANSWERED_MS 2000): the same user from a new socket is held back
    const next = await fx.call('core-blf-unanswered.xml', 'sl-m', 'sl-m', { vars: { caller: 'sl-m', expires: '30' }, timeoutSec: 30 });
    assert.equal(next.code, 0, next.errors);
    assert.deepEqual(outcome(next), { status: 503, notifies: 0 });
    const refusal = next.events.find((e) => e.dir === 'received' && e.status === 503);
    assert.match(refusal?.message ?? '', /^Retry-After:\s*[1-9]/im);
  });
});

