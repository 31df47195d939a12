import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { apiRequest } from '../../support/api-client';
import { phonesAt, type Phones } from '../../support/phones';
import { freePort } from '../../support/ports';
import { startTestRedis, type TestRedis } from '../../support/redis';
import { withRtpengine } from '../../support/rtpengine';
import { startSippUas, type SippRun } from '../../support/sipp';
import { TENANT, TOKEN } from '../core/fixture';

const MAIN = path.join(__dirname, '../../../main.js');

interface Node {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
  phones: Phones;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

interface Listed {
  id: string;
  state: string;
  instanceId: string;
}

/**
 * Issue 14 item 7, the faults: a REST client reaches instance A for a call owned by
 * instance B, and B is killed (404: the call ended with it) or frozen by SIGSTOP (503
 * E_OWNER_UNAVAILABLE within the hang-up timeout, and nothing happens behind the
 * client's back when B wakes). Each instance is its own process (`node dist/main.js`).
 */
describe('cluster: the owner of a call killed or frozen', function () {
  this.timeout(90000);
  const media = withRtpengine();
  let redis: TestRedis | undefined;
  let a: Node;
  let b: Node;
  const sipps: SippRun[] = [];

  async function startNode(name: string, ports: string): Promise<Node> {
    const sipPort = await freePort('both');
    const httpPort = await freePort('tcp');
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env, INSTANCE_ID: name, SIP_PORT: String(sipPort), HTTP_PORT: String(httpPort), API_TOKEN: TOKEN, LOG_LEVEL: 'warn',
        DIGEST_ALGORITHMS: 'MD5', REDIS_URL: redis?.url, RTPENGINE_NG: `127.0.0.1:${media.process.ngPort}`, NO_ANSWER_TIMEOUT: '5', MIN_EXPIRES: '1',
        CONFERENCE_PORT_MIN: `${ports}000`, CONFERENCE_PORT_MAX: `${ports}999`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const node: Node = { name, child, exited, phones: phonesAt(() => `127.0.0.1:${sipPort}`, sipps), api: (m, p, body) => apiRequest(httpPort, m, p, body, TOKEN) };
    await healthy(node, () => stderr);
    return node;
  }

  async function healthy(node: Node, stderr = (): string => ''): Promise<void> {
    const deadline = Date.now() + 20000;
    for (;;) {
      if (await node.api('GET', '/health').then((r) => r.status === 200, () => false)) return;
      if (node.child.exitCode !== null || Date.now() > deadline) throw new Error(`${node.name} is not healthy: ${stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A call through B between two fresh users, answered; the callee accepts two re-INVITEs. */
  async function callOnB(tag: string): Promise<{ id: string; callee: SippRun; caller: Promise<{ code: number | null; errors: string }> }> {
    for (const u of [`${tag}a`, `${tag}b`]) {
      const r = await a.api('PUT', `/v1/tenants/${TENANT}/users/${u}`, { password: `pw-${u}` });
      assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
    }
    const callee = await startSippUas({ scenario: 'core-uas-hold.xml', localPort: await b.phones.register(`${tag}b`), timeoutSec: 60 });
    sipps.push(callee);
    const caller = b.phones.call('core-call-bye-received.xml', `${tag}a`, `${tag}b`, { timeoutSec: 60 });
    const deadline = Date.now() + 10000;
    for (;;) {
      const calls = ((await a.api('GET', '/v1/calls')).body as { calls: Listed[] }).calls;
      const c = calls.find((x) => x.state === 'answered' && x.instanceId === 'fs-b' && !seen.has(x.id));
      if (c) {
        seen.add(c.id);
        return { id: c.id, callee, caller };
      }
      if (Date.now() > deadline) throw new Error('no answered call on fs-b');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const seen = new Set<string>();

  before(async function () {
    this.timeout(60000);
    await media.start();
    redis = await startTestRedis();
    a = await startNode('fs-a', '48');
    b = await startNode('fs-b', '49');
  });

  afterEach(async () => {
    for (const s of sipps.splice(0)) await s.kill();
  });

  after(async function () {
    this.timeout(30000);
    for (const n of [a, b]) {
      if (!n || n.child.exitCode !== null || n.child.signalCode !== null) continue;
      n.child.kill('SIGCONT');
      n.child.kill('SIGTERM');
      await Promise.race([n.exited, new Promise((r) => setTimeout(r, 10000))]);
      n.child.kill('SIGKILL');
    }
    await redis?.stop();
    await media.stop();
  });

  it('owner frozen (SIGSTOP): DELETE through A is 503 E_OWNER_UNAVAILABLE within the timeout; after SIGCONT the call is still up and A acts on it', async () => {
    const { id, callee, caller } = await callOnB('fz');
    b.child.kill('SIGSTOP');
    let del: { status: number; body: unknown };
    const started = Date.now();
    try {
      del = await a.api('DELETE', `/v1/calls/${id}`);
    } finally {
      b.child.kill('SIGCONT');
    }
    const ms = Date.now() - started;
    assert.equal(del.status, 503, JSON.stringify(del.body));
    assert.equal((del.body as { code: string }).code, 'E_OWNER_UNAVAILABLE');
    assert.ok(ms >= 4500 && ms < 9000, `answered after ${ms} ms (hang-up timeout 5 s)`);
    await healthy(b);
    // the hang-up B finds in its queue on waking is past its deadline: dropped, the call goes on
    assert.equal((await a.api('POST', `/v1/calls/${id}/hold`, { party: 'callee' })).status, 204, 'the call is still up');
    assert.equal((await a.api('POST', `/v1/calls/${id}/resume`)).status, 204);
    assert.equal((await a.api('DELETE', `/v1/calls/${id}`)).status, 204);
    const rb = await callee.done;
    assert.equal(rb.code, 0, rb.errors);
    assert.equal((await caller).code, 0);
  });

  it('owner killed (SIGKILL): DELETE and hold through A are 404 with {code, message}; GET /v1/calls drops its calls', async () => {
    const one = await callOnB('kd');
    const two = await callOnB('kh');
    b.child.kill('SIGKILL');
    await b.exited;
    // Redis drops B's subscription once it sees the connection closed
    const deadline = Date.now() + 5000;
    while (Number(Object.values(await redis!.client.pubSubNumSub('bus:instance:fs-b'))[0]) > 0) {
      if (Date.now() > deadline) throw new Error('fs-b still subscribed');
      await new Promise((r) => setTimeout(r, 20));
    }
    const del = await a.api('DELETE', `/v1/calls/${one.id}`);
    assert.equal(del.status, 404);
    assert.equal((del.body as { code: string }).code, 'E_NOT_FOUND');
    assert.match((del.body as { message: string }).message, /no call/);
    const hold = await a.api('POST', `/v1/calls/${two.id}/hold`, { party: 'callee' });
    assert.equal(hold.status, 404);
    assert.equal((hold.body as { code: string }).code, 'E_CALL_NOT_FOUND');
    // the record names the dead owner until a survivor's take-over sweep (every 5 s)
    // removes it; then there is no such call at all: 404 either way
    assert.match((hold.body as { message: string }).message, /ended with its instance fs-b|no such call/);
    const listed = ((await a.api('GET', '/v1/calls')).body as { calls: Listed[] }).calls;
    assert.deepEqual(listed.filter((c) => c.instanceId === 'fs-b'), []);
  });
});
