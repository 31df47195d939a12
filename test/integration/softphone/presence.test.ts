import assert from 'node:assert/strict';
import { baresipPhones, type Baresip } from '../../support/baresip';
import { until } from '../../support/until';
import { presenceFixture, TENANT } from '../presence/fixture';
import { toneFiles } from './tones';

const CP = 'urn:ietf:params:xml:ns:common-policy';
const PR = 'urn:ietf:params:xml:ns:pres-rules';

/** pres-rules (RFC 5025 on RFC 4745) allowing one watcher everything */
const allow = (watcher: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><cp:ruleset xmlns:cp="${CP}" xmlns:pr="${PR}">`
  + `<cp:rule id="a"><cp:conditions><cp:identity><cp:one id="${watcher}"/></cp:identity></cp:conditions>`
  + '<cp:actions><pr:sub-handling>allow</pr:sub-handling></cp:actions>'
  + '<cp:transformations><pr:provide-persons><pr:all-persons/></pr:provide-persons>'
  + '<pr:provide-services><pr:all-services/></pr:provide-services></cp:transformations></cp:rule></cp:ruleset>';

/**
 * Issue 19 with real softphones: baresip's presence module PUBLISHes its own state
 * (RFC 3903, `presence_online` / `presence_offline`) and SUBSCRIBEs to the contacts marked
 * `;presence=p2p` (RFC 3856); the watcher waits pending until the presentity allows it by
 * its pres-rules, written over XCAP with digest (RFC 4825, RFC 5025).
 */
describe('softphone: presence between two baresip phones (issue 19)', function () {
  this.timeout(40000);
  const phones = baresipPhones();
  const fx = presenceFixture({ xcap: 'http' });
  const tone = toneFiles();

  const shows = (watcher: Baresip, user: string, status: string): Promise<true> =>
    until(`${watcher.user} to show ${user} ${status}`, 10000, async () => (await watcher.presenceOf(user)) === status);

  it('B watches A: pending until A allows B over XCAP, then A going offline and online by PUBLISH shows on B', async () => {
    const [ua, ub] = ['pa1', 'pb1'];
    for (const u of [ua, ub]) await fx.provision(u);
    const server = `${TENANT}:${fx.server().sipPort}`;
    // A does not REGISTER: baresip 1.0 publishes once 100 ms after start and again on
    // REGISTER_OK, the second before the first's 200 brings an ETag, so a registered
    // baresip holds two publications and refreshes only one (see the README)
    const a = await phones.start({ user: ua, password: `pw-${ua}`, server, source: tone('a'), publishEvery: 60, register: false });
    const before = await fx.gauge('feature_server_presence_subscriptions');
    const b = await phones.start({ user: ub, password: `pw-${ub}`, server, source: tone('b'), watch: [ua] });
    await until('B\'s subscription is live', 10000, async () => (await fx.gauge('feature_server_presence_subscriptions')) > before);
    assert.notEqual(await b.presenceOf(ua), 'Online', 'RFC 3857: nothing is told to a watcher not yet authorized');

    const rules = await fx.xcapRequest(ua, 'PUT', `/xcap-root/pres-rules/users/sip:${ua}@${TENANT}/index`, allow(`sip:${ub}@${TENANT}`),
      'application/auth-policy+xml');
    assert.ok(rules.status === 200 || rules.status === 201, `PUT pres-rules: ${rules.status} ${rules.body}`);
    await until('B is told A\'s state', 10000, async () => (await b.presenceOf(ua)) !== 'Unknown' || undefined);
    assert.notEqual(await b.presenceOf(ua), 'Online', 'A has not said it is online');

    await a.command('presence_online');
    await shows(b, ua, 'Online');
    await a.command('presence_offline');
    await shows(b, ua, 'Offline');
    await a.command('presence_online');
    await shows(b, ua, 'Online');
  });
});
