import { header, received } from './sip-events';
import assert from 'node:assert/strict';
import { features } from '../../../features';
import { loadConfig } from '../../../lib/config';
import { startServer, type RunningServer } from '../../../lib/server';
import { apiRequest } from '../../support/api-client';
import { phonesAt, type Phones } from '../../support/phones';
import { freePort } from '../../support/ports';
import { startTestRedis, type TestRedis } from '../../support/redis';
import { testLogger, withRtpengine } from '../../support/rtpengine';
import { startSippUas, type SippRun } from '../../support/sipp';
import { startTestSipEngine, type TestSipEngine } from '../../support/test-engine';
import { until } from '../../support/until';
import { TENANT, xcapRequestAt } from './fixture';
import { parseListNotify, rules } from './list-notify';

const TOKEN = 'test-token-0123456789';
const RL = 'urn:ietf:params:xml:ns:resource-lists';

interface Node {
  server: RunningServer;
  phones: Phones;
  xcap(user: string, method: 'GET' | 'PUT' | 'DELETE', path: string, body?: string, type?: string): Promise<{ status: number; body: string }>;
  metric(name: string): Promise<number>;
  /** a sipp UAS playing a phone registered on `port` */
  uas(scenario: string, port: number): Promise<SippRun>;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

/**
 * Two feature-server instances, each with its own SIP engine and HTTP port, on one Redis
 * (issue 19 item 6): a phone may publish through one and watch through the other, and a
 * user may edit its rules on either.
 */
function presenceCluster(): Node[] {
  const media = withRtpengine();
  let redis: TestRedis | undefined;
  const nodes: Node[] = [];
  const engines: TestSipEngine[] = [];
  const sipps: SippRun[] = [];

  before(async function () {
    this.timeout(40000);
    await media.start();
    redis = await startTestRedis();
    for (let i = 0; i < 2; i++) {
      const sipPort = await freePort('both');
      const httpPort = await freePort('tcp');
      const engine = await startTestSipEngine({ sipPort });
      engines.push(engine);
      const config = loadConfig({
        ...engine.env, API_TOKEN: TOKEN, SIP_PORT: String(sipPort), HTTP_PORT: String(httpPort), REDIS_URL: redis.url, INSTANCE_ID: `fs-p${i + 1}`,
        RTPENGINE_NG: `127.0.0.1:${media.process.ngPort}`, MIN_EXPIRES: '1', LOG_LEVEL: 'warn', DIGEST_ALGORITHMS: 'MD5', NO_ANSWER_TIMEOUT: '3',
        CONFERENCE_PORT_MIN: String(40000 + i * 1000), CONFERENCE_PORT_MAX: String(40999 + i * 1000),
      });
      const server = await startServer({ config, logger: testLogger(), features: features(), engineArgs: engine.engineArgs });
      nodes.push({
        server, phones: phonesAt(() => `127.0.0.1:${sipPort}`, sipps),
        xcap: (user, method, path, body, type) => xcapRequestAt(httpPort, user, method, path, body, type),
        api: (method, path, body) => apiRequest(httpPort, method, path, body, TOKEN),
        async uas(scenario, port) {
          const run = await startSippUas({ scenario, localPort: port, timeoutSec: 30 });
          sipps.push(run);
          return run;
        },
        async metric(name) {
          const r = await apiRequest(httpPort, 'GET', '/metrics', undefined, TOKEN);
          const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
          for (const line of text.split('\n')) if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
          return 0;
        },
      });
    }
  });

  afterEach(async function () {
    this.timeout(15000);
    for (const s of sipps.splice(0)) await s.kill();
  });

  after(async function () {
    this.timeout(30000);
    for (const n of nodes.splice(0)) await n.server.stop();
    for (const e of engines.splice(0)) await e.stop();
    await redis?.stop();
    await media.stop();
  });
  return nodes;
}


describe('presence across instances (issue 19 item 6)', function () {
  this.timeout(60000);
  const nodes = presenceCluster();
  let n = 0;
  const fresh = async (...names: string[]): Promise<string[]> => {
    n++;
    const out = names.map((x) => `${x}${n}`);
    for (const u of out) {
      const r = await nodes[0].api('PUT', `/v1/tenants/${TENANT}/users/${u}`, { password: `pw-${u}` });
      if (r.status !== 201 && r.status !== 200) throw new Error(`provisioning ${u}: ${r.status}`);
    }
    return out;
  };
  const notified = (node: Node, kind: 'presentity' | 'list' | 'winfo'): Promise<number> =>
    node.metric(`feature_server_presence_notifies_total{subscription="${kind}"}`);
  const allow = async (node: Node, presentity: string, watcher: string): Promise<void> => {
    const r = await node.xcap(presentity, 'PUT', `/xcap-root/pres-rules/users/sip:${presentity}@${TENANT}/index`,
      rules({ [`sip:${watcher}@${TENANT}`]: 'allow' }), 'application/auth-policy+xml');
    assert.ok(r.status === 200 || r.status === 201, `PUT pres-rules: ${r.status} ${r.body}`);
  };
  const watchVars = (caller: string, accept: string): Record<string, string> => ({ caller, expires: '60', supported: 'eventlist', accept });

  it('a PUBLISH through instance 1 reaches a watcher subscribed through instance 2', async () => {
    const [alice, bob] = await fresh('ca', 'cb');
    await allow(nodes[0], alice, bob);
    const before = await notified(nodes[1], 'presentity');
    const run = nodes[1].phones.call('presence-list.xml', bob, alice, { vars: watchVars(bob, 'application/pidf+xml'), timeoutSec: 30 });
    await until('the first NOTIFY is answered on instance 2', 15000, async () => (await notified(nodes[1], 'presentity')) > before);
    const pub = await nodes[0].phones.call('presence-publish-once.xml', alice, alice, { timeoutSec: 10 });
    assert.equal(pub.code, 0, pub.errors);
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    const [first, second] = received(r, 'NOTIFY');
    assert.doesNotMatch(first, /online/);
    assert.match(header(second, 'Subscription-State') ?? '', /^active/);
    assert.match(second, /<note>online<\/note>/, 'the publication made on the other instance');
  });

  it('a publication made through instance 1 that expires is told once to its watchers on each instance (RFC 3903 5)', async () => {
    const [alice, bob, carol] = await fresh('cl', 'cm', 'cn');
    const rs = await nodes[0].xcap(alice, 'PUT', `/xcap-root/pres-rules/users/sip:${alice}@${TENANT}/index`,
      rules({ [`sip:${bob}@${TENANT}`]: 'allow', [`sip:${carol}@${TENANT}`]: 'allow' }), 'application/auth-policy+xml');
    assert.ok(rs.status === 200 || rs.status === 201, `PUT pres-rules: ${rs.status} ${rs.body}`);
    const watch = async (node: Node, who: string) => {
      const before = await notified(node, 'presentity');
      const run = node.phones.call('presence-watch.xml', who, alice,
        { vars: { caller: who, expires: '15', event: 'presence', accept: 'application/pidf+xml' }, timeoutSec: 40 });
      await until('the first NOTIFY is answered', 15000, async () => (await notified(node, 'presentity')) > before);
      return { run }; // wrapped: an async function would wait for the run itself
    };
    const runs = [await watch(nodes[0], bob), await watch(nodes[1], carol)];
    const pub = await nodes[0].phones.call('presence-publish-expiring.xml', alice, alice, { vars: { caller: alice, expires: '2' }, timeoutSec: 10 });
    assert.equal(pub.code, 0, pub.errors);
    for (const r of await Promise.all(runs.map((w) => w.run))) {
      assert.equal(r.code, 0, r.errors);
      const states = received(r, 'NOTIFY').map((m) => `${(header(m, 'Subscription-State') ?? '').split(';')[0]}:${/<basic>open<\/basic>/.test(m) ? 'open' : 'closed'}`);
      assert.deepEqual(states, ['active:closed', 'active:open', 'active:closed', 'terminated:closed'],
        'published, then its expiry told once while active, then the subscription\'s own end');
    }
  });

  it('a pres-rules change written through instance 1 makes a pending watcher on instance 2 active at once', async () => {
    const [alice, carol] = await fresh('cc', 'cd');
    const before = await notified(nodes[1], 'presentity');
    const run = nodes[1].phones.call('presence-list.xml', carol, alice, { vars: watchVars(carol, 'application/pidf+xml'), timeoutSec: 30 });
    await until('the pending NOTIFY is answered on instance 2', 15000, async () => (await notified(nodes[1], 'presentity')) > before);
    await allow(nodes[0], alice, carol);
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    const [first, second] = received(r, 'NOTIFY');
    assert.match(header(first, 'Subscription-State') ?? '', /^pending/);
    assert.match(header(second, 'Subscription-State') ?? '', /^active/);
    assert.match(second, /<presence/);
  });

  it('a list subscription through instance 2 gets a partial NOTIFY for a PUBLISH through instance 1', async () => {
    const [owner, buddy] = await fresh('ce', 'cf');
    await allow(nodes[0], buddy, owner);
    const list = `<?xml version="1.0" encoding="UTF-8"?><resource-lists xmlns="${RL}"><list name="buddies"><entry uri="sip:${buddy}@${TENANT}"/></list></resource-lists>`;
    const put = await nodes[0].xcap(owner, 'PUT', `/xcap-root/resource-lists/users/sip:${owner}@${TENANT}/index`, list, 'application/resource-lists+xml');
    assert.equal(put.status, 201, put.body);
    const before = await notified(nodes[1], 'list');
    const run = nodes[1].phones.call('presence-list.xml', owner, `${owner}-buddies`,
      { vars: watchVars(owner, 'multipart/related, application/rlmi+xml, application/pidf+xml'), timeoutSec: 30 });
    await until('the full-state NOTIFY is answered on instance 2', 15000, async () => (await notified(nodes[1], 'list')) > before);
    const pub = await nodes[0].phones.call('presence-publish-once.xml', buddy, buddy, { timeoutSec: 10 });
    assert.equal(pub.code, 0, pub.errors);
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    const [full, partial] = received(r, 'NOTIFY').map(parseListNotify);
    assert.equal(full.list.fullState, 'true');
    assert.equal(partial.list.fullState, 'false');
    assert.match(partial.resources[0].part ?? '', /<note>online<\/note>/);
  });

  it('watcher information on instance 1 lists a watcher that subscribed through instance 2, pending, then gone', async () => {
    const [alice, dave] = await fresh('cg', 'ch');
    const before = await notified(nodes[0], 'winfo');
    const winfo = nodes[0].phones.call('presence-watch.xml', alice, alice,
      { vars: { caller: alice, expires: '8', event: 'presence.winfo', accept: 'application/watcherinfo+xml' }, timeoutSec: 30 });
    await until('the full watcher list is answered on instance 1', 15000, async () => (await notified(nodes[0], 'winfo')) > before);
    const watch = await nodes[1].phones.call('presence-watch.xml', dave, alice,
      { vars: { caller: dave, expires: '1', event: 'presence', accept: 'application/pidf+xml' }, timeoutSec: 15 });
    assert.equal(watch.code, 0, watch.errors);
    const r = await winfo;
    assert.equal(r.code, 0, r.errors);
    const docs = received(r, 'NOTIFY');
    assert.doesNotMatch(docs[0], new RegExp(`sip:${dave}@`), 'nobody watches yet');
    const about = (status: string): boolean => docs.some((m) => new RegExp(`status="${status}"[^>]*>sip:${dave}@`).test(m));
    assert.ok(about('pending'), 'the pending watcher of the other instance is told');
    assert.ok(about('terminated'), 'and its end');
  });

  it('a call ringing through instance 1 shows in the PIDF a watcher gets through instance 2', async () => {
    const [erin, frank, gina] = await fresh('ci', 'cj', 'ck');
    await allow(nodes[0], erin, frank);
    const phone = await nodes[0].uas('core-uas-ring.xml', await nodes[0].phones.register(erin));
    const before = await notified(nodes[1], 'presentity');
    const run = nodes[1].phones.call('presence-list.xml', frank, erin, { vars: watchVars(frank, 'application/pidf+xml'), timeoutSec: 30 });
    await until('the first NOTIFY is answered on instance 2', 15000, async () => (await notified(nodes[1], 'presentity')) > before);
    const caller = await nodes[0].phones.call('core-expect-final.xml', gina, erin, { timeoutSec: 20 });
    assert.equal(caller.code, 0, caller.errors);
    const r = await run;
    assert.equal(r.code, 0, r.errors);
    const [idle, ringing] = received(r, 'NOTIFY');
    assert.doesNotMatch(idle, /ringing/);
    assert.match(ringing, /<rp:other>ringing<\/rp:other>/, 'the call on the other instance');
    await phone.done;
  });
});
