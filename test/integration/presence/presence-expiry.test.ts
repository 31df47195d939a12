import assert from 'node:assert/strict';
import { until } from '../../support/until';
import { presenceFixture, TENANT } from './fixture';
import { header, received } from './sip-events';

const state = (notify: string): string => header(notify, 'Subscription-State') ?? '';

/**
 * RFC 3903 5: a publication that runs out takes its state with it, and RFC 3856 6.7 /
 * RFC 6665 4.2.2: that change is NOTIFYed to the watchers then, not at the next PUBLISH.
 */
describe('presence: a publication that expires (issue 19, RFC 3903 5)', function () {
  this.timeout(60000);
  const fx = presenceFixture();
  let n = 0;
  const fresh = async (...names: string[]): Promise<string[]> => {
    n++;
    const out = names.map((x) => `${x}${n}`);
    for (const u of out) await fx.provision(u);
    return out;
  };
  const watching = (): Promise<number> => fx.gauge('feature_server_presence_subscriptions');
  const notified = async (): Promise<number> => (await fx.gauge('feature_server_presence_notifies_total{subscription="presentity"}')) || 0;

  it('the watcher gets open, then closed when the Expires: 2 publication runs out, with no other PUBLISH', async () => {
    const [alice, bob] = await fresh('xa', 'xb');
    fx.xcap().setRule(TENANT, alice, `sip:${bob}@${TENANT}`, 'allow');
    const [before, told] = [await watching(), await notified()];
    // long enough for the publication below to come and go while it lasts, on a busy machine too
    const run = fx.run('presence-watch.xml', bob, alice, {
      vars: { caller: bob, expires: '15', event: 'presence', accept: 'application/pidf+xml' }, timeoutSec: 40 });
    await until('the subscription is live', 15000, async () => (await watching()) > before);
    await until('the first NOTIFY answered', 15000, async () => (await notified()) > told);
    // the fixture's MIN_EXPIRES is 1: 2 s is granted as asked
    const pub = await fx.run('presence-publish-expiring.xml', alice, alice, { vars: { caller: alice, expires: '2' }, timeoutSec: 10 });
    assert.equal(pub.code, 0, pub.errors);
    const ok = pub.events.find((e) => e.dir === 'received' && e.status === 200);
    assert.equal(header(ok?.message ?? '', 'Expires'), '2');
    const r = await run;
    assert.equal(r.code, 0, r.errors);

    const notifies = received(r, 'NOTIFY');
    const states = notifies.map((m) => `${state(m).split(';')[0]}:${/<basic>open<\/basic>/.test(m) ? 'open' : 'closed'}`);
    assert.equal(states[0], 'active:closed', `nothing published yet: ${states.join(' ')}`);
    const open = states.indexOf('active:open');
    assert.ok(open > 0, `the publication is told: ${states.join(' ')}`);
    const closed = states.indexOf('active:closed', open);
    assert.ok(closed > open, `its expiry is told while the subscription is active: ${states.join(' ')}`);
    assert.match(notifies[closed], /<tuple id="fs-none"><status><basic>closed<\/basic>/, 'no tuple of the expired publication');
    assert.doesNotMatch(notifies[closed], /online/);
    assert.equal(states.at(-1), 'terminated:closed', 'then the subscription\'s own expiry');
    assert.equal(await fx.redis().client.hLen(`presence:${TENANT}:${alice}`), 0, 'nothing of the publication is left');
  });
});
