import { header, received } from './sip-events';
import assert from 'node:assert/strict';
import type { SippResult } from '../../support/sipp';
import { until } from '../../support/until';
import { presenceFixture, TENANT, type PresenceFixture } from './fixture';
import { parseListNotify, rules, type ListNotify } from './list-notify';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const LIST_ACCEPT = 'multipart/related, application/rlmi+xml, application/pidf+xml';

const responses = (r: SippResult, method: string): string[] =>
  r.events.filter((e) => e.dir === 'received' && e.status !== undefined && e.method === method && !e.retransmission).map((e) => e.message);

/** A resource-lists document (RFC 4826) with one list of these users. */
const buddyList = (name: string, users: string[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?><resource-lists xmlns="${RL}"><list name="${name}">`
  + users.map((u) => `<entry uri="sip:${u}@${TENANT}"/>`).join('') + '</list></resource-lists>';

export interface ListSteps {
  putList(owner: string, name: string, users: string[]): Promise<number>;
  allow(presentity: string, watcher: string): Promise<void>;
  /** NOTIFYs of list subscriptions answered so far on this server */
  listNotifies(): Promise<number>;
}

export function listSteps(fx: Pick<PresenceFixture, 'xcapRequest' | 'gauge'>): ListSteps {
  return {
    async putList(owner, name, users) {
      const r = await fx.xcapRequest(owner, 'PUT', `/xcap-root/resource-lists/users/sip:${owner}@${TENANT}/index`, buddyList(name, users),
        'application/resource-lists+xml');
      assert.ok(r.status === 200 || r.status === 201, `PUT resource-lists: ${r.status} ${r.body}`);
      return r.status;
    },
    async allow(presentity, watcher) {
      const r = await fx.xcapRequest(presentity, 'PUT', `/xcap-root/pres-rules/users/sip:${presentity}@${TENANT}/index`,
        rules({ [`sip:${watcher}@${TENANT}`]: 'allow' }), 'application/auth-policy+xml');
      assert.ok(r.status === 200 || r.status === 201, `PUT pres-rules: ${r.status} ${r.body}`);
    },
    async listNotifies() {
      const v = await fx.gauge('feature_server_presence_notifies_total{subscription="list"}');
      return Number.isNaN(v) ? 0 : v;
    },
  };
}

const listVars = (caller: string, expires = '60', supported = 'eventlist'): Record<string, string> =>
  ({ caller, expires, supported, accept: LIST_ACCEPT });

/**
 * RFC 4662 resource list subscriptions to a user's own buddy list, with the real XCAP
 * server: the list (RFC 4826) and every member's rules (RFC 5025) are written over HTTP.
 */
describe('presence resource lists (issue 19 item 5, RFC 4662)', function () {
  this.timeout(60000);
  const fx = presenceFixture({ xcap: 'http' });
  const steps = listSteps(fx);
  let n = 0;
  const fresh = async (...names: string[]): Promise<string[]> => {
    n++;
    const out = names.map((x) => `${x}${n}`);
    for (const u of out) await fx.provision(u);
    return out;
  };
  const notifies = (r: SippResult): ListNotify[] => received(r, 'NOTIFY').map(parseListNotify);

  it('full state lists an allowed buddy (active, its PIDF) and a pending one (no body); its PUBLISH gives a partial NOTIFY', async () => {
    const [owner, allowed, pending] = await fresh('lo', 'la', 'lp');
    await steps.allow(allowed, owner);
    await steps.putList(owner, 'buddies', [allowed, pending]);
    const before = await steps.listNotifies();
    const run = fx.run('presence-list.xml', owner, `${owner}-buddies`, { vars: listVars(owner), timeoutSec: 30 });
    await until('the full-state NOTIFY is answered', 15000, async () => (await steps.listNotifies()) > before);
    const pub = await fx.run('presence-publish-once.xml', allowed, allowed, { timeoutSec: 10 });
    assert.equal(pub.code, 0, pub.errors);
    const r = await run;
    assert.equal(r.code, 0, r.errors);

    const ok = responses(r, 'SUBSCRIBE').find((m) => /^SIP\/2\.0 20[02] /.test(m)) ?? '';
    assert.equal(header(ok, 'Require'), 'eventlist', 'RFC 4662: the 200 says the subscription is to a list');
    const [full, partial, last] = notifies(r);
    assert.equal(full.require, 'eventlist');
    assert.match(full.contentType, /^multipart\/related;\s*type="application\/rlmi\+xml"/);
    assert.equal(full.list.uri, `sip:${owner}-buddies@${TENANT}`);
    assert.equal(full.list.fullState, 'true');
    assert.equal(full.list.version, '0');
    assert.deepEqual(full.resources.map((x) => [x.uri, x.state]), [[`sip:${allowed}@${TENANT}`, 'active'], [`sip:${pending}@${TENANT}`, 'pending']]);
    const allowedDoc = full.resources[0].part ?? '';
    assert.match(allowedDoc, /<presence[^>]*entity="sip:la\d+@/, 'the allowed buddy has its PIDF part, named by cid');
    assert.equal(full.resources[1].cid, undefined, 'RFC 4662 5.2: nothing of a pending member');
    assert.equal(full.parts, 2, 'the RLMI root and one PIDF');
    assert.doesNotMatch(full.body, /online/, 'not yet published');

    assert.equal(partial.list.fullState, 'false');
    assert.equal(partial.list.version, '1');
    assert.deepEqual(partial.resources.map((x) => x.uri), [`sip:${allowed}@${TENANT}`], 'only the member that changed');
    assert.equal(partial.resources[0].id, full.resources[0].id, 'the same instance');
    assert.match(partial.resources[0].part ?? '', /<note>online<\/note>/);
    assert.match(last.state, /^terminated/, 'the unsubscribe ends it');
    assert.equal(last.list.fullState, 'true');
  });

  it('a pending buddy that allows the subscriber by an XCAP PUT becomes active with its document (partial NOTIFY)', async () => {
    const [owner, pending] = await fresh('lq', 'lr');
    await steps.putList(owner, 'buddies', [pending]);
    const before = await steps.listNotifies();
    const run = fx.run('presence-list.xml', owner, `${owner}-buddies`, { vars: listVars(owner), timeoutSec: 30 });
    await until('the full-state NOTIFY is answered', 15000, async () => (await steps.listNotifies()) > before);
    await steps.allow(pending, owner);
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    const [full, partial] = notifies(r);
    assert.equal(full.resources[0].state, 'pending');
    assert.equal(partial.list.fullState, 'false');
    assert.equal(partial.resources[0].state, 'active');
    assert.match(partial.resources[0].part ?? '', /<basic>closed<\/basic>/, 'its (unpublished) document');
  });

  it('an edit of the list document (XCAP PUT) adds the member: a full-state NOTIFY with the new list', async () => {
    const [owner, a, b] = await fresh('ls', 'lt', 'lu');
    await steps.putList(owner, 'buddies', [a]);
    const before = await steps.listNotifies();
    const run = fx.run('presence-list.xml', owner, `${owner}-buddies`, { vars: listVars(owner), timeoutSec: 30 });
    await until('the full-state NOTIFY is answered', 15000, async () => (await steps.listNotifies()) > before);
    await steps.putList(owner, 'buddies', [b, a]);
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    const [first, second] = notifies(r);
    assert.deepEqual(first.resources.map((x) => x.uri), [`sip:${a}@${TENANT}`]);
    assert.equal(second.list.fullState, 'true');
    assert.deepEqual(second.resources.map((x) => x.uri).sort(), [`sip:${a}@${TENANT}`, `sip:${b}@${TENANT}`].sort());
    assert.equal(second.resources.find((x) => x.uri.includes(a))?.id, first.resources[0].id, 'the kept member keeps its instance');
  });

  it('a list SUBSCRIBE without Supported: eventlist gets 421 with Require: eventlist (RFC 4662 4.2)', async () => {
    const [owner, a] = await fresh('lv', 'lw');
    await steps.putList(owner, 'buddies', [a]);
    const r = await fx.run('presence-list.xml', owner, `${owner}-buddies`, { vars: listVars(owner, '60', 'timer'), timeoutSec: 15 });
    assert.equal(r.code, 0, r.errors);
    const final = responses(r, 'SUBSCRIBE').filter((m) => !m.startsWith('SIP/2.0 407') && !m.startsWith('SIP/2.0 100'));
    assert.equal(final.length, 1);
    assert.match(final[0], /^SIP\/2\.0 421/);
    assert.equal(header(final[0], 'Require'), 'eventlist');
  });

  it('Expires: 0 fetches the list once: one full-state NOTIFY, terminated', async () => {
    const [owner, a] = await fresh('lx', 'ly');
    await steps.allow(a, owner);
    await steps.putList(owner, 'friends', [a, 'nobody']);
    const r = await fx.run('presence-list.xml', owner, `${owner}-friends`, { vars: listVars(owner, '0'), timeoutSec: 15 });
    assert.equal(r.code, 0, r.errors);
    const all = notifies(r);
    assert.equal(all.length, 1);
    assert.match(all[0].state, /^terminated/);
    assert.equal(all[0].list.fullState, 'true');
    assert.deepEqual(all[0].resources.map((x) => [x.state, x.reason]), [['active', undefined], ['terminated', 'noresource']]);
    assert.equal(await fx.gauge('feature_server_presence_list_subscriptions'), 0);
  });

  it('another user\'s list is not found (404): a buddy list is its owner\'s alone', async () => {
    const [owner, other, a] = await fresh('lz', 'lm', 'ln');
    await steps.putList(owner, 'buddies', [a]);
    const r = await fx.run('presence-list.xml', other, `${owner}-buddies`, { vars: listVars(other), timeoutSec: 15 });
    const final = responses(r, 'SUBSCRIBE').filter((m) => !m.startsWith('SIP/2.0 407') && !m.startsWith('SIP/2.0 100'));
    assert.match(final[0] ?? '', /^SIP\/2\.0 404/);
  });
});
