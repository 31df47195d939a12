import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { apiRequest } from '../../support/api-client';
import { startKamailio, type KamailioProcess } from '../../support/kamailio';
import { freePort, udpFree } from '../../support/ports';
import { startTestRedis, type TestRedis } from '../../support/redis';
import { withRtpengine } from '../../support/rtpengine';
import { runSipp, startSippUas, type SippOptions, type SippResult, type SippRun } from '../../support/sipp';
import { sipHeaders } from '../../support/sipp-trace';
import { TENANT, TOKEN } from '../core/fixture';

const MAIN = path.join(__dirname, '../../../main.js');
const FAST_PROBING = { DS_PING_INTERVAL: 1, DS_PROBING_THRESHOLD: 1, DS_INACTIVE_THRESHOLD: 1, ENGINE_TIMEOUT_MS: 1000 };
/** the edge's default, a hash over Call-ID (a challenged INVITE and its retry reach the same server) */
const HASH_CALL_ID = { DS_ALG: 0 };

interface Node {
  name: string;
  child: ChildProcess;
  sipPort: number;
  httpPort: number;
  exited: Promise<void>;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}


/** One feature server as production runs it: `node dist/main.js`, configured by its environment. */
async function startNode(name: string, env: Record<string, string>): Promise<Node> {
  const sipPort = await freePort('both');
  const httpPort = await freePort('tcp');
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...env, INSTANCE_ID: name, SIP_PORT: String(sipPort), HTTP_PORT: String(httpPort), API_TOKEN: TOKEN, LOG_LEVEL: 'warn', DIGEST_ALGORITHMS: 'MD5' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const node: Node = { name, child, sipPort, httpPort, exited, api: (m, p, b) => apiRequest(httpPort, m, p, b, TOKEN) };
  const deadline = Date.now() + 20000;
  for (;;) {
    const ok = await node.api('GET', '/health').then((r) => r.status === 200, () => false);
    if (ok) return node;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not become healthy: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Issue: scale-out on one machine with the real pieces: a Kamailio edge (deploy/edge)
 * spreading calls over two feature-server processes, each with its own embedded SIP
 * engine, sharing one Redis and one rtpengine.
 */
describe('deploy: Kamailio edge, two feature servers, one Redis', function () {
  this.timeout(120000);
  const media = withRtpengine();
  let redis: TestRedis | undefined;
  let nodes: Node[] = [];
  let edge: KamailioProcess | undefined;
  const sipps: SippRun[] = [];
  const viaEdge = (scenario: string, caller: string, callee: string, opts: Partial<SippOptions> = {}): Promise<SippResult> => {
    const run = (async () => runSipp({ scenario, remote: `127.0.0.1:${edge?.sipPort}`, localPort: await freePort('both'), service: callee,
      auth: { username: caller, password: `pw-${caller}`, uri: `${callee}@127.0.0.1:${edge?.sipPort}` }, vars: { caller }, ...opts }))();
    return run.then((r) => {
      sipps.push(r);
      return r.done;
    });
  };
  const at = (node: Node, scenario: string, caller: string, callee: string, opts: Partial<SippOptions> = {}): Promise<SippResult> =>
    (async () => {
      const r = runSipp({ scenario, remote: `127.0.0.1:${node.sipPort}`, localPort: await freePort('both'), service: callee,
        auth: { username: caller, password: `pw-${caller}`, uri: `${callee}@127.0.0.1:${node.sipPort}` }, vars: { caller }, ...opts });
      sipps.push(r);
      return r.done;
    })();
  async function register(user: string): Promise<number> {
    const port = await freePort('both');
    const r = await runSipp({ scenario: 'core-register.xml', remote: `127.0.0.1:${edge?.sipPort}`, localPort: port, service: user,
      auth: { username: user, password: `pw-${user}` }, vars: { expires: '3600' } }).done;
    assert.equal(r.code, 0, `REGISTER ${user} through the edge: ${r.errors}`);
    return port;
  }
  async function uas(scenario: string, port: number, opts: Partial<SippOptions> = {}): Promise<SippRun> {
    const run = await startSippUas({ scenario, localPort: port, ...opts });
    sipps.push(run);
    return run;
  }
  async function provision(user: string, extra: Record<string, unknown> = {}): Promise<void> {
    const r = await nodes[0].api('PUT', `/v1/tenants/${TENANT}/users/${user}`, { password: `pw-${user}`, ...extra });
    assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
  }
  /** Which feature server has a live call with this callee. */
  async function ownerOf(pred: (c: { callee: { user: string } }) => boolean): Promise<{ node: Node; id: string }> {
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline) {
      for (const node of nodes) {
        const calls = ((await node.api('GET', '/v1/calls')).body as { calls: Array<{ id: string; state: string; instanceId: string; callee: { user: string } }> }).calls;
        const c = calls.find((x) => x.state === 'answered' && x.instanceId === node.name && pred(x));
        if (c) return { node, id: c.id };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no such call');
  }

  before(async function () {
    this.timeout(60000);
    await media.start();
    redis = await startTestRedis();
    const env = { REDIS_URL: redis.url, RTPENGINE_NG: `127.0.0.1:${media.process.ngPort}`, NO_ANSWER_TIMEOUT: '5', MIN_EXPIRES: '1', DRAIN_TIMEOUT: '2',
      // the Kamailio edge in front is the only source: trusted, as an operator would configure it
      SIP_TRUSTED_SOURCES: '127.0.0.1' };
    nodes = [
      await startNode('fs-a', { ...env, CONFERENCE_PORT_MIN: '46000', CONFERENCE_PORT_MAX: '46999' }),
      await startNode('fs-b', { ...env, CONFERENCE_PORT_MIN: '47000', CONFERENCE_PORT_MAX: '47999' }),
    ];
    edge = await startKamailio({ engines: nodes.map((n) => ({ port: n.sipPort })), defines: { ...FAST_PROBING, ...HASH_CALL_ID } });
    await nodes[0].api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 120, announce: false });
  });

  afterEach(async () => {
    for (const s of sipps.splice(0)) await s.kill();
  });

  after(async function () {
    this.timeout(60000);
    await edge?.stop();
    for (const n of nodes) {
      if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGTERM');
      await n.exited;
    }
    await redis?.stop();
    await media.stop();
  });

  it('spreads calls over both feature servers; registrations made through the edge reach phones from either', async () => {
    await provision('so-a');
    await provision('so-b');
    const callee = await uas('core-uas.xml', await register('so-b'), { calls: 20, timeoutSec: 60 });
    const r = await viaEdge('core-call.xml', 'so-a', 'so-b', { calls: 20, rate: 10, durationMs: 100, timeoutSec: 60 });
    assert.equal(r.code, 0, r.errors);
    const rb = await callee.done;
    assert.equal(rb.code, 0, rb.errors);
    // the engine that sent each INVITE is the top Via: one port per feature server
    const byEngine = new Map<number, number>();
    for (const e of rb.events.filter((x) => x.dir === 'received' && x.method === 'INVITE' && x.status === undefined && !x.retransmission)) {
      // the edge's Via first (the phone registered through it, so calls reach it that way), then the engine's
      const vias = [...e.message.matchAll(/^Via: SIP\/2\.0\/UDP 127\.0\.0\.1:(\d+)/gm)].map((m) => Number(m[1]));
      const port = vias.find((p) => nodes.some((n) => n.sipPort === p)) ?? 0;
      byEngine.set(port, (byEngine.get(port) ?? 0) + 1);
    }
    assert.deepEqual([...byEngine.keys()].sort(), nodes.map((n) => n.sipPort).sort());
    for (const n of byEngine.values()) assert.ok(n >= 3, `calls per feature server: ${JSON.stringify([...byEngine])}`);
  });

  it('a call parked through one feature server is retrieved through the other', async () => {
    for (const u of ['sp-a', 'sp-b', 'sp-c']) await provision(u);
    const parked = await uas('core-uas-hold.xml', await register('sp-b'), { timeoutSec: 60 });
    const parker = viaEdge('core-call-bye-received.xml', 'sp-a', 'sp-b', { timeoutSec: 60 });
    const { node, id } = await ownerOf((c) => c.callee.user === 'sp-b');
    const r = await node.api('POST', `/v1/calls/${id}/park`, { party: 'callee' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await parker).code, 0);
    const other = nodes.find((n) => n !== node) as Node;
    const rc = await at(other, 'core-call.xml', 'sp-c', (r.body as { slot: string }).slot, { durationMs: 300 });
    assert.equal(rc.code, 0, rc.errors);
    assert.equal((await parked.done).code, 0);
  });

  it('10 REST pickers on both feature servers race for one ringing call: exactly one wins', async () => {
    await provision('sr-a');
    await provision('sr-b', { callGroups: ['front'] });
    const pickers = Array.from({ length: 10 }, (_, i) => `sr-p${i}`);
    for (const u of pickers) await provision(u, { pickupGroups: ['front'] });
    const phonePort = await register(pickers[0]);
    for (const u of pickers.slice(1)) {
      const rr = await runSipp({ scenario: 'core-register.xml', remote: `127.0.0.1:${edge?.sipPort}`, localPort: phonePort, service: u,
        auth: { username: u, password: `pw-${u}` }, vars: { expires: '3600' } }).done;
      assert.equal(rr.code, 0, rr.errors);
    }
    const phone = await uas('core-uas-ring.xml', phonePort);
    const rings = await uas('core-uas-ring.xml', await register('sr-b'));
    const caller = viaEdge('core-cancel.xml', 'sr-a', 'sr-b', { durationMs: 2000 });
    const deadline = Date.now() + 5000;
    while (Object.keys(((await nodes[0].api('GET', `/v1/tenants/${TENANT}/ringing`)).body as { groups: object }).groups).length === 0) {
      assert.ok(Date.now() < deadline, 'the call never rang');
      await new Promise((r) => setTimeout(r, 20));
    }
    const results = await Promise.all(pickers.map((by, i) => nodes[i % 2].api('POST', '/v1/pickup', { tenant: TENANT, by })));
    assert.equal(results.filter((x) => x.status === 200).length, 1, JSON.stringify(results.map((x) => x.status)));
    assert.equal(results.filter((x) => x.status === 409).length, 9);
    assert.equal((await caller).code, 0);
    assert.equal((await rings.done).code, 0);
    assert.equal((await phone.done).events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission).length, 1);
  });

  it('one feature server killed (SIGKILL) under load: once the edge notices, every new call succeeds; registrations and parked calls survive', async () => {
    for (const u of ['sk-a', 'sk-b', 'sk-p', 'sk-q', 'sk-r', 'sk-s', 'sk-t']) await provision(u);
    // a call parked on fs-b, the one that dies: fs-a takes it over, resuming its dialog
    const orphan = await uas('core-uas-taken-over.xml', await register('sk-t'), { timeoutSec: 90 });
    const parker2 = at(nodes[1], 'core-call-bye-received.xml', 'sk-s', 'sk-t', { timeoutSec: 60 });
    const onB = await ownerOf((c) => c.callee.user === 'sk-t');
    assert.equal(onB.node, nodes[1]);
    const orphanSlot = ((await nodes[1].api('POST', `/v1/calls/${onB.id}/park`, { party: 'callee' })).body as { slot: string }).slot;
    assert.equal((await parker2).code, 0);
    // a call parked on fs-a, the one that stays
    const parked = await uas('core-uas-hold.xml', await register('sk-q'), { timeoutSec: 90 });
    const parker = at(nodes[0], 'core-call-bye-received.xml', 'sk-p', 'sk-q', { timeoutSec: 60 });
    const { id } = await ownerOf((c) => c.callee.user === 'sk-q');
    const slot = ((await nodes[0].api('POST', `/v1/calls/${id}/park`, { party: 'callee' })).body as { slot: string }).slot;
    assert.equal((await parker).code, 0);
    // load through the edge; fs-b dies in the middle of it
    const callee = await uas('core-uas.xml', await register('sk-b'), { calls: 1000, timeoutSec: 90 });
    const during = viaEdge('core-call.xml', 'sk-a', 'sk-b', { calls: 40, rate: 10, durationMs: 200, timeoutSec: 15 });
    await new Promise((r) => setTimeout(r, 1500));
    const mark = edge?.logs().length ?? 0;
    const killedAt = Date.now();
    nodes[1].child.kill('SIGKILL');
    await nodes[1].exited;
    await edge?.waitForLog(new RegExp(`is down.*127\\.0\\.0\\.1:${nodes[1].sipPort}|127\\.0\\.0\\.1:${nodes[1].sipPort} is down`), 15000, mark);
    const noticedMs = Date.now() - killedAt;
    // the killed server's engine stops with it (--exit-with-parent): its SIP port is free again
    const freed = Date.now() + 5000;
    while (!(await udpFree(nodes[1].sipPort))) {
      assert.ok(Date.now() < freed, 'the dead server\'s engine still holds its port');
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = await viaEdge('core-call.xml', 'sk-a', 'sk-b', { calls: 30, rate: 10, durationMs: 100, timeoutSec: 60 });
    assert.equal(after.code, 0, `calls after the edge noticed: ${after.errors}`);
    // the load running when fs-b died: its calls on fs-b are lost (their BYEs go unanswered)
    const rd = await during;
    const completed = rd.events.filter((e) => e.dir === 'received' && e.method === 'BYE' && e.status === 200).length;
    const lost = 40 - completed;
    console.log(`    fs-b killed (SIGKILL): the edge marked it down after ${noticedMs} ms (probe every ${FAST_PROBING.DS_PING_INTERVAL} s); `
      + `of the 40-call load running then, ${lost} did not complete (up on fs-b, or sent to it); 30 calls after: all answered`);
    // what fs-b held is cleaned up, not left to time out: its calls are gone, its parked call is fs-a's now
    // (listing the slots waits for a takeover under way)
    const parks = ((await nodes[0].api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: Array<{ slot: string }> }).parks.map((p) => p.slot);
    assert.deepEqual(parks.sort(), [slot, orphanSlot].sort(), 'both parked calls are still parked');
    const calls = ((await nodes[0].api('GET', '/v1/calls')).body as { calls: Array<{ id: string; instanceId: string }> }).calls;
    assert.deepEqual(calls.filter((c) => c.instanceId === 'fs-b'), [], 'no call of fs-b listed');
    assert.ok(calls.some((c) => c.id === onB.id && c.instanceId === 'fs-a'), 'the parked call is listed as fs-a\'s');
    // both are retrieved through the edge, which now reaches only fs-a
    const rr = await viaEdge('core-call.xml', 'sk-r', slot, { durationMs: 300 });
    assert.equal(rr.code, 0, rr.errors);
    assert.equal((await parked.done).code, 0);
    const ro = await viaEdge('core-call.xml', 'sk-r', orphanSlot, { durationMs: 300 });
    assert.equal(ro.code, 0, ro.errors);
    const o = await orphan.done;
    assert.equal(o.code, 0, o.errors);
    // fs-a resumed the orphan's dialog: same Call-ID and tags, a higher CSeq, fs-a's Contact
    const invites = o.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission);
    const [first, music, resumed] = invites;
    const header = (m: string, h: string): string => sipHeaders(m, h)[0] ?? '';
    const tag = (v: string): string | undefined => /;\s*tag=([^;\s>]+)/.exec(v)?.[1];
    assert.equal(invites.length, 4, 'INVITE, music, resumed, retrieved');
    assert.equal(header(resumed.message, 'Call-ID'), header(first.message, 'Call-ID'));
    assert.equal(tag(header(resumed.message, 'From')), tag(header(first.message, 'From')));
    assert.ok(tag(header(resumed.message, 'To')), 'the resuming INVITE is inside the dialog (To tag)');
    assert.ok(parseInt(header(resumed.message, 'CSeq'), 10) > parseInt(header(music.message, 'CSeq'), 10), 'CSeq went up');
    assert.match(header(resumed.message, 'Contact'), new RegExp(`:${nodes[0].sipPort}\\b`), 'the Contact is fs-a\'s engine');
    console.log(`    the call parked on fs-b was resumed by fs-a ${new Date(resumed.time.replace(' ', 'T')).getTime() - killedAt} ms after the kill`);
    await callee.kill();
  });
});
