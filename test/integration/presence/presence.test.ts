import { finals, header, received } from './sip-events';
import assert from 'node:assert/strict';
import { until } from '../../support/until';
import { presenceFixture, TENANT } from './fixture';


describe('presence (issue 19: flows 4.1-4.5)', function () {
  this.timeout(60000);
  const fx = presenceFixture();
  let n = 0;
  const fresh = async (...names: string[]): Promise<string[]> => {
    n++;
    const out = names.map((x) => `${x}${n}`);
    for (const u of out) await fx.provision(u);
    return out;
  };
  const watch = (caller: string, expires: string): Record<string, string> => ({ caller, expires, event: 'presence', accept: 'application/pidf+xml' });
  const watching = (): Promise<number> => fx.gauge('feature_server_presence_subscriptions');
  /** NOTIFYs to presence watchers that were answered: the rule changes below wait for the first one */
  const notified = async (): Promise<number> => (await fx.gauge('feature_server_presence_notifies_total{subscription="presentity"}')) || 0;

  it('4.1: PUBLISH 200 with SIP-ETag and Expires, refresh and modify get new tags, a stale tag 412, bad XML 400, Expires 0 removes', async () => {
    const [alice] = await fresh('pa');
    const r = await fx.run('presence-publish.xml', alice, alice, { timeoutSec: 20 });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(finals(r), [200, 200, 200, 412, 400, 200]);
    const oks = r.events.filter((e) => e.dir === 'received' && e.status === 200 && !e.retransmission);
    const tags = oks.slice(0, 3).map((e) => header(e.message, 'SIP-ETag'));
    assert.equal(new Set(tags).size, 3, `a new entity-tag each time: ${tags.join(' ')}`);
    assert.equal(header(oks[0].message, 'Expires'), '60');
    assert.deepEqual(await fx.redis().client.hLen(`presence:${TENANT}:${alice}`), 0, 'nothing left after the removal, and the bad XML was not stored');
  });

  it('a user publishes only its own state (403)', async () => {
    const [alice, bob] = await fresh('pb', 'pc');
    const r = await fx.run('presence-publish-once.xml', alice, bob, { timeoutSec: 10 });
    assert.notEqual(r.code, 0);
    assert.deepEqual(finals(r), [403]);
    assert.equal(await fx.redis().client.exists(`presence:${TENANT}:${bob}`), 0);
  });

  it('4.2/4.3: an allowed watcher gets 200 and a NOTIFY with every publication, then terminated at expiry', async () => {
    const [alice, bob] = await fresh('pd', 'pe');
    fx.xcap().setRule(TENANT, alice, `sip:${bob}@${TENANT}`, 'allow');
    const pub = await fx.run('presence-publish-once.xml', alice, alice, { timeoutSec: 10 });
    assert.equal(pub.code, 0, pub.errors);
    const r = await fx.run('presence-watch.xml', bob, alice, { vars: watch(bob, '2'), timeoutSec: 20 });
    assert.equal(r.code, 0, r.errors);
    const notifies = received(r, 'NOTIFY');
    assert.ok(notifies.length >= 2, String(notifies.length));
    assert.match(header(notifies[0], 'Subscription-State') ?? '', /^active/);
    assert.equal(header(notifies[0], 'Content-Type'), 'application/pidf+xml');
    assert.match(notifies[0], new RegExp(`entity="sip:${alice}@127\\.0\\.0\\.1"`));
    assert.match(notifies[0], /<note>online<\/note>/);
    assert.match(header(notifies.at(-1) ?? '', 'Subscription-State') ?? '', /^terminated/);
  });

  it('4.5: an unknown watcher is pending with no document until the presentity allows it, then active with the PIDF', async () => {
    const [alice, carol] = await fresh('pf', 'pg');
    const pub = await fx.run('presence-publish-once.xml', alice, alice, { timeoutSec: 10 });
    assert.equal(pub.code, 0, pub.errors);
    const [before, told] = [await watching(), await notified()];
    const run = fx.run('presence-watch.xml', carol, alice, { vars: watch(carol, '4'), timeoutSec: 20 });
    await until('the subscription is live', 10000, async () => (await watching()) > before);
    // the rule changes after the pending NOTIFY, not before it (else the first NOTIFY is already active)
    await until('the pending NOTIFY answered', 10000, async () => (await notified()) > told);
    fx.xcap().setRule(TENANT, alice, `sip:${carol}@${TENANT}`, 'allow');
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    const notifies = received(r, 'NOTIFY');
    assert.match(header(notifies[0], 'Subscription-State') ?? '', /^pending/);
    assert.equal(header(notifies[0], 'Content-Length'), '0', 'nothing is told before authorization');
    const active = notifies.filter((m) => /^active/.test(header(m, 'Subscription-State') ?? ''));
    assert.ok(active.length >= 1, 'the approval makes it active');
    assert.match(active[0], /<note>online<\/note>/);
  });

  it('4.4: a watcher blocked mid-subscription gets terminated;reason=rejected and nothing more', async () => {
    const [alice, erin] = await fresh('pj', 'pk');
    fx.xcap().setRule(TENANT, alice, `sip:${erin}@${TENANT}`, 'allow');
    const pub = await fx.run('presence-publish-once.xml', alice, alice, { timeoutSec: 10 });
    assert.equal(pub.code, 0, pub.errors);
    const [before, told] = [await watching(), await notified()];
    const run = fx.run('presence-watch.xml', erin, alice, { vars: watch(erin, '30'), timeoutSec: 40 });
    await until('the subscription is live', 10000, async () => (await watching()) > before);
    // blocked mid-subscription: after its first (active) NOTIFY was answered
    await until('the first NOTIFY answered', 10000, async () => (await notified()) > told);
    fx.xcap().setRule(TENANT, alice, `sip:${erin}@${TENANT}`, 'block');
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    const notifies = received(r, 'NOTIFY');
    assert.match(header(notifies[0], 'Subscription-State') ?? '', /^active/);
    const last = notifies.at(-1) ?? '';
    assert.match(header(last, 'Subscription-State') ?? '', /^terminated;reason=rejected/);
    assert.doesNotMatch(last, /online/, 'a blocked watcher is told nothing more');
    assert.equal(await watching(), before, 'the subscription is gone');
  });

  it('a blocked watcher gets 403 at SUBSCRIBE', async () => {
    const [alice, dave] = await fresh('ph', 'pi');
    fx.xcap().setRule(TENANT, alice, `sip:${dave}@${TENANT}`, 'block');
    const r = await fx.run('presence-watch.xml', dave, alice, { vars: watch(dave, '5'), timeoutSec: 10 });
    assert.deepEqual(finals(r), [403]);
    assert.deepEqual(received(r, 'NOTIFY'), []);
  });

  it('4.3: the presentity\'s winfo subscription gets the full list, then partial ones as a watcher is pending and approved', async () => {
    const [alice, frank] = await fresh('pl', 'pm');
    const before = await watching();
    const winfo = fx.run('presence-watch.xml', alice, alice, {
      vars: { caller: alice, expires: '6', event: 'presence.winfo', accept: 'application/watcherinfo+xml' }, timeoutSec: 20 });
    // the winfo subscription is not a presence one: wait for the watcher's instead
    const watcher = fx.run('presence-watch.xml', frank, alice, { vars: watch(frank, '3'), timeoutSec: 20 });
    await until('the watcher subscribed', 10000, async () => (await watching()) > before);
    fx.xcap().setRule(TENANT, alice, `sip:${frank}@${TENANT}`, 'allow');
    const [w, r] = await Promise.all([watcher, winfo]);
    assert.equal(w.code, 0, w.errors);
    assert.equal(r.code, 0, r.errors);
    const notifies = received(r, 'NOTIFY');
    assert.equal(header(notifies[0], 'Content-Type'), 'application/watcherinfo+xml');
    assert.match(notifies[0], /state="full"/);
    const uri = `sip:${frank}@127.0.0.1`;
    const docs = notifies.join('\n');
    // pending then approved within one NOTIFY interval are coalesced (RFC 3858 4.4: a partial
    // document carries each watcher's latest state), so the approval is what the test sees
    assert.match(docs, new RegExp(`state="partial".*status="active" event="approved"[^>]*>${uri.replace(/\./g, '\\.')}<`, 's'));
    assert.match(docs, new RegExp(`status="terminated"[^>]*>${uri.replace(/\./g, '\\.')}<`), 'the watcher\'s subscription ended (expiry)');
  });

  it('only the presentity may subscribe to its watcher information (403)', async () => {
    const [alice, gina] = await fresh('pn', 'po');
    const r = await fx.run('presence-watch.xml', gina, alice, {
      vars: { caller: gina, expires: '5', event: 'presence.winfo', accept: 'application/watcherinfo+xml' }, timeoutSec: 10 });
    assert.deepEqual(finals(r), [403]);
  });

  it('an unknown event package gets 489 with Allow-Events naming every package served (RFC 6665 8.2.2)', async () => {
    const [alice, hank] = await fresh('pp', 'pq');
    const r = await fx.run('presence-watch.xml', hank, alice, {
      vars: { caller: hank, expires: '5', event: 'no-such-package', accept: 'application/pidf+xml' }, timeoutSec: 10 });
    assert.deepEqual(finals(r), [489]);
    const bad = r.events.find((e) => e.dir === 'received' && e.status === 489);
    const allowed = (header(bad?.message ?? '', 'Allow-Events') ?? '').split(',').map((x) => x.trim());
    for (const pkg of ['dialog', 'presence', 'presence.winfo']) assert.ok(allowed.includes(pkg), `${pkg} in ${allowed.join(',')}`);
  });
});
