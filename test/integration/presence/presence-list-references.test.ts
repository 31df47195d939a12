import assert from 'node:assert/strict';
import type { SippResult } from '../../support/sipp';
import { until } from '../../support/until';
import { presenceFixture, TENANT } from './fixture';
import { parseListNotify, type ListNotify } from './list-notify';
import { received } from './sip-events';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const LIST_ACCEPT = 'multipart/related, application/rlmi+xml, application/pidf+xml';

const doc = (inner: string): string => `<?xml version="1.0" encoding="UTF-8"?><resource-lists xmlns="${RL}">${inner}</resource-lists>`;
const entries = (users: string[]): string => users.map((u) => `<entry uri="sip:${u}@${TENANT}"/>`).join('');
/** RFC 4826 3.2: a list of `user`'s document, as an XCAP URI relative to the root (entry-ref) */
const listPath = (user: string, name: string): string =>
  `resource-lists/users/sip:${user}@${TENANT}/index/~~/resource-lists/list%5b@name=%22${name}%22%5d`;

/**
 * RFC 4662 resource list subscriptions to a list that references another user's list
 * (RFC 4826 3.2: <entry-ref> names an entry of it, <external> the whole list): the
 * referenced list edited over XCAP is a change of the subscribed list, end to end.
 */
describe('presence resource lists that reference other lists (RFC 4662, RFC 4826 3.2)', function () {
  this.timeout(60000);
  const fx = presenceFixture({ xcap: 'http' });
  /** NOTIFYs of list subscriptions answered so far on this server */
  const listNotifies = async (): Promise<number> => (await fx.gauge('feature_server_presence_notifies_total{subscription="list"}')) || 0;
  let n = 0;
  const fresh = async (...names: string[]): Promise<string[]> => {
    n++;
    const out = names.map((x) => `${x}${n}`);
    for (const u of out) await fx.provision(u);
    return out;
  };
  const notifies = (r: SippResult): ListNotify[] => received(r, 'NOTIFY').map(parseListNotify);
  const put = async (user: string, body: string): Promise<void> => {
    const r = await fx.xcapRequest(user, 'PUT', `/xcap-root/resource-lists/users/sip:${user}@${TENANT}/index`, body, 'application/resource-lists+xml');
    assert.ok(r.status === 200 || r.status === 201, `PUT resource-lists of ${user}: ${r.status} ${r.body}`);
  };
  const uris = (m: ListNotify): string[] => m.resources.map((x) => x.uri).sort();
  const sip = (...users: string[]): string[] => users.map((u) => `sip:${u}@${TENANT}`).sort();

  /** `owner` subscribes to its list `buddies`; once the first NOTIFY is answered, `edit` runs; the run ends after the second. */
  const subscribeThen = async (owner: string, edit: () => Promise<void>): Promise<ListNotify[]> => {
    const before = await listNotifies();
    const run = fx.run('presence-list.xml', owner, `${owner}-buddies`,
      { vars: { caller: owner, expires: '60', supported: 'eventlist', accept: LIST_ACCEPT }, timeoutSec: 30 });
    await until('the full-state NOTIFY is answered', 15000, async () => (await listNotifies()) > before);
    await edit();
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    return notifies(r);
  };

  it('<entry-ref>: the referenced list edited over XCAP so that the entry names another user: a full-state NOTIFY with the new member', async () => {
    const [owner, bob, erin, carol] = await fresh('ra', 'rb', 'rc', 'rd');
    await put(bob, doc(`<list name="shared">${entries([erin])}</list>`));
    await put(owner, doc(`<list name="buddies"><entry-ref ref="${listPath(bob, 'shared')}/entry%5b1%5d"/></list>`));
    const [first, second] = await subscribeThen(owner, () => put(bob, doc(`<list name="shared">${entries([carol, erin])}</list>`)));
    assert.deepEqual(uris(first), sip(erin), 'the entry the reference names');
    assert.equal(second.list.fullState, 'true', 'RFC 4662 5.2: a list edit is told with the full state');
    assert.deepEqual(uris(second), sip(carol), 'bob\'s first entry is now carol');
    assert.notEqual(second.resources[0].id, first.resources[0].id, 'a new member, a new instance');
  });

  it('<external>: a member added to the referenced list over XCAP comes in a full-state NOTIFY, the others kept', async () => {
    const [owner, bob, erin, carol, dave] = await fresh('re', 'rf', 'rg', 'rh', 'ri');
    await put(bob, doc(`<list name="shared">${entries([erin])}</list>`));
    await put(owner, doc(`<list name="buddies">${entries([dave])}<external anchor="http://${TENANT}/xcap-root/${listPath(bob, 'shared')}"/></list>`));
    const [first, second] = await subscribeThen(owner, () => put(bob, doc(`<list name="shared">${entries([erin, carol])}</list>`)));
    assert.deepEqual(uris(first), sip(dave, erin));
    assert.equal(second.list.fullState, 'true');
    assert.deepEqual(uris(second), sip(dave, erin, carol));
    const id = (m: ListNotify, u: string): string | undefined => m.resources.find((x) => x.uri === `sip:${u}@${TENANT}`)?.id;
    assert.equal(id(second, erin), id(first, erin), 'a kept member keeps its instance');
  });
});
