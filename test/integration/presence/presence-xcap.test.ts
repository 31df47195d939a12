import { finals, header, received } from './sip-events';
import assert from 'node:assert/strict';
import { until } from '../../support/until';
import { presenceFixture, TENANT } from './fixture';

const CP = 'urn:ietf:params:xml:ns:common-policy';
const PR = 'urn:ietf:params:xml:ns:pres-rules';
const RL = 'urn:ietf:params:xml:ns:resource-lists';


/** A pres-rules document (RFC 5025 on RFC 4745): one rule per watcher URI. */
const rules = (byWatcher: Record<string, 'allow' | 'block' | 'polite-block' | 'confirm'>): string =>
  `<?xml version="1.0" encoding="UTF-8"?><cp:ruleset xmlns:cp="${CP}" xmlns:pr="${PR}">`
  + Object.entries(byWatcher).map(([uri, action], i) =>
    `<cp:rule id="r${i}"><cp:conditions><cp:identity><cp:one id="${uri}"/></cp:identity></cp:conditions>`
    + `<cp:actions><pr:sub-handling>${action}</pr:sub-handling></cp:actions>`
    + '<cp:transformations><pr:provide-persons><pr:all-persons/></pr:provide-persons>'
    + '<pr:provide-services><pr:all-services/></pr:provide-services></cp:transformations></cp:rule>').join('')
  + '</cp:ruleset>';

/**
 * Flows 4.4-4.9 with the real XCAP server: the presentity writes its authorization rules
 * (RFC 5025) and contact list (RFC 4826) over HTTP with digest on its SIP credentials,
 * and live presence subscriptions follow each write at once.
 */
describe('presence through XCAP (issue 19: rules written over HTTP govern live subscriptions)', function () {
  this.timeout(60000);
  const fx = presenceFixture({ xcap: 'http' });
  let n = 0;
  const fresh = async (...names: string[]): Promise<string[]> => {
    n++;
    const out = names.map((x) => `${x}${n}`);
    for (const u of out) await fx.provision(u);
    return out;
  };
  const watch = (caller: string, expires: string): Record<string, string> => ({ caller, expires, event: 'presence', accept: 'application/pidf+xml' });
  const watching = (): Promise<number> => fx.gauge('feature_server_presence_subscriptions');
  const rulesPath = (user: string): string => `/xcap-root/pres-rules/users/sip:${user}@${TENANT}/index`;
  const putRules = async (user: string, doc: string): Promise<void> => {
    const r = await fx.xcapRequest(user, 'PUT', rulesPath(user), doc, 'application/auth-policy+xml');
    assert.ok(r.status === 200 || r.status === 201, `PUT pres-rules: ${r.status} ${r.body}`);
  };

  it('a watcher waits pending until the presentity allows it by an XCAP PUT, then gets the PIDF', async () => {
    const [alice, bob] = await fresh('xa', 'xb');
    const pub = await fx.run('presence-publish-once.xml', alice, alice, { timeoutSec: 10 });
    assert.equal(pub.code, 0, pub.errors);
    const before = await watching();
    const run = fx.run('presence-watch.xml', bob, alice, { vars: watch(bob, '4'), timeoutSec: 20 });
    await until('the subscription is live', 10000, async () => (await watching()) > before);
    await putRules(alice, rules({ [`sip:${bob}@${TENANT}`]: 'allow' }));
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    const notifies = received(r, 'NOTIFY');
    assert.match(header(notifies[0], 'Subscription-State') ?? '', /^pending/);
    assert.equal(header(notifies[0], 'Content-Length'), '0', 'nothing is told before authorization');
    assert.ok(notifies.some((m) => /^active/.test(header(m, 'Subscription-State') ?? '') && /<note>online<\/note>/.test(m)),
      'the allow rule made it active with the document');
  });

  it('an allowed watcher is terminated (rejected) the moment the presentity edits its rule to block (an element PUT)', async () => {
    const [alice, bob] = await fresh('xi', 'xj');
    await putRules(alice, rules({ [`sip:${bob}@${TENANT}`]: 'allow' }));
    const before = await watching();
    const run = fx.run('presence-watch.xml', bob, alice, { vars: watch(bob, '30'), timeoutSec: 40 });
    await until('the subscription is live', 10000, async () => (await watching()) > before);
    // RFC 4825 8.2.3: the rule's sub-handling element replaced in place
    const node = `${rulesPath(alice)}/~~/cp:ruleset/cp:rule%5b@id=%22r0%22%5d/cp:actions/pr:sub-handling`
      + `?xmlns(cp=${encodeURIComponent(CP)})xmlns(pr=${encodeURIComponent(PR)})`;
    const edit = await fx.xcapRequest(alice, 'PUT', node, `<pr:sub-handling xmlns:pr="${PR}">block</pr:sub-handling>`, 'application/xcap-el+xml');
    assert.equal(edit.status, 200, edit.body);
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    const notifies = received(r, 'NOTIFY');
    assert.match(header(notifies[0], 'Subscription-State') ?? '', /^active/);
    assert.match(header(notifies.at(-1) ?? '', 'Subscription-State') ?? '', /^terminated;reason=rejected/);
    assert.equal(await watching(), before, 'the subscription is gone');
  });

  it('a blocked watcher gets 403; once the presentity replaces the block by allow (unblock), it subscribes again and is active', async () => {
    const [alice, carol] = await fresh('xc', 'xd');
    await putRules(alice, rules({ [`sip:${carol}@${TENANT}`]: 'block' }));
    const refused = await fx.run('presence-watch.xml', carol, alice, { vars: watch(carol, '5'), timeoutSec: 10 });
    assert.deepEqual(finals(refused), [403]);
    await putRules(alice, rules({ [`sip:${carol}@${TENANT}`]: 'allow' }));
    const r = await fx.run('presence-watch.xml', carol, alice, { vars: watch(carol, '2'), timeoutSec: 20 });
    assert.equal(r.code, 0, r.errors);
    assert.match(header(received(r, 'NOTIFY')[0], 'Subscription-State') ?? '', /^active/);
  });

  it('polite-block: the watcher is told it is active but gets a neutral document, never the publication', async () => {
    const [alice, dave] = await fresh('xe', 'xf');
    await putRules(alice, rules({ [`sip:${dave}@${TENANT}`]: 'polite-block' }));
    const pub = await fx.run('presence-publish-once.xml', alice, alice, { timeoutSec: 10 });
    assert.equal(pub.code, 0, pub.errors);
    const r = await fx.run('presence-watch.xml', dave, alice, { vars: watch(dave, '2'), timeoutSec: 20 });
    assert.equal(r.code, 0, r.errors);
    const first = received(r, 'NOTIFY')[0];
    assert.match(header(first, 'Subscription-State') ?? '', /^active/);
    assert.equal(header(first, 'Content-Type'), 'application/pidf+xml');
    assert.doesNotMatch(first, /online/, 'nothing of the publication');
    assert.match(first, /<basic>closed<\/basic>/);
  });

  it('a contact list (RFC 4826) is the user\'s own: written and read back with digest, refused to another user (403)', async () => {
    const [alice, erin] = await fresh('xg', 'xh');
    const path = `/xcap-root/resource-lists/users/sip:${alice}@${TENANT}/index`;
    const doc = `<?xml version="1.0" encoding="UTF-8"?><resource-lists xmlns="${RL}"><list name="buddies">`
      + `<entry uri="sip:${erin}@${TENANT}"><display-name>Erin</display-name></entry></list></resource-lists>`;
    const put = await fx.xcapRequest(alice, 'PUT', path, doc, 'application/resource-lists+xml');
    assert.equal(put.status, 201, put.body);
    const got = await fx.xcapRequest(alice, 'GET', path);
    assert.equal(got.status, 200);
    assert.ok(got.body.includes(`sip:${erin}@${TENANT}`));
    assert.equal((await fx.xcapRequest(erin, 'GET', path)).status, 403);
  });
});
