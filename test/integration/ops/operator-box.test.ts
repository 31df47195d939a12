import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { phonesAt } from '../../support/phones';
import { freePort, tcpFree, udpFree } from '../../support/ports';
import { childPid, healthy, serverPid, startBox, stopBox, type Box } from '../../support/box';
import { descendants, running } from '../../support/processes';
import { until } from '../../support/until';
import { startSippUas, type SippRun } from '../../support/sipp';

/**
 * Issues #14 and #15 on a single box, started the way the README says (`npm start` runs
 * scripts/start.sh) on free ports with a DATA_DIR of its own: what is provisioned
 * survives kill -9 of redis-server and of the server, a crashed server is started
 * again, signalling only the start script's PID stops everything, and two servers never
 * share one DATA_DIR.
 */

/** the repository root; this file runs from dist/test/integration/ops */
const ROOT = path.join(__dirname, '../../../..');
const TENANT = '127.0.0.1';

describe('operator box: npm start, DATA_DIR, supervision', function () {
  this.timeout(240_000);
  const made: string[] = [];
  const boxes: Box[] = [];
  const sipps: SippRun[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'fs-data-'));
    made.push(d);
    return path.join(d, 'data');
  };
  const start = async (dataDir: string, viaNpm = false): Promise<Box> => {
    const b = await startBox(dataDir, { viaNpm });
    boxes.push(b);
    return b;
  };

  afterEach(async function () {
    this.timeout(60_000);
    for (const s of sipps.splice(0)) await s.kill();
    for (const b of boxes.splice(0)) await stopBox(b);
  });
  after(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  /** REGISTER of the callee, and a call to it answered and hung up */
  async function registerAndCall(box: Box, caller: string, callee: string): Promise<void> {
    const phones = phonesAt(() => `127.0.0.1:${box.sipPort}`, sipps);
    const uasPort = await phones.register(callee);
    const uas = await startSippUas({ scenario: 'core-uas.xml', localPort: uasPort });
    sipps.push(uas);
    const r = await phones.call('core-call.xml', caller, callee);
    assert.equal(r.code, 0, `call ${caller} -> ${callee}: ${r.errors}`);
    assert.equal((await uas.done).code, 0);
  }

  async function provision(box: Box, user: string): Promise<void> {
    const r = await box.api('PUT', `/v1/tenants/${TENANT}/users/${user}`, { password: `pw-${user}` });
    assert.ok(r.status === 200 || r.status === 201, `provisioning ${user}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  it('keeps users across kill -9 of redis-server (AOF, appendfsync always), then serves REGISTER and a call', async () => {
    const dir = tempDir();
    const box = await start(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700, 'DATA_DIR is 0700');
    assert.equal(statSync(path.join(dir, 'api-token')).mode & 0o777, 0o600, 'the token file is 0600');
    assert.match(box.output(), /add a user/, 'the start says what to do next');
    assert.doesNotMatch(box.output(), /"level":"warn"/, 'no warning on a healthy start');
    await provision(box, 'ka');
    await provision(box, 'kb');
    const redisPid = await childPid(box, 'redis-server');
    assert.ok(redisPid && running(redisPid));
    process.kill(redisPid, 'SIGKILL');
    // the server restarts its redis-server, which reloads the append-only file
    await until('a new redis-server', 30_000, async () => {
      const p = await childPid(box, 'redis-server');
      return p !== undefined && p !== redisPid && running(p) ? p : undefined;
    });
    await healthy(box, 30_000);
    const user = await box.api('GET', `/v1/tenants/${TENANT}/users/ka`);
    assert.equal(user.status, 200, JSON.stringify(user.body));
    await registerAndCall(box, 'ka', 'kb');
  });

  it('restarts a server killed with SIGKILL: its children die with it, the new one has the same users and token', async () => {
    const dir = tempDir();
    const box = await start(dir);
    const token = box.token();
    await provision(box, 'sa');
    await provision(box, 'sb');
    const oldServer = serverPid(box);
    const oldChildren = await Promise.all(['redis-server', 'rtpengine', 'sip-engine'].map((n) => childPid(box, n)));
    assert.ok(oldServer && oldChildren.every((p) => p !== undefined && running(p)), `server ${oldServer}, children ${oldChildren.join(',')}`);
    process.kill(oldServer, 'SIGKILL');
    await until('the old children gone', 15_000, () => (oldChildren.every((p) => !running(p as number)) ? true : undefined));
    await until('a new server', 60_000, () => {
      const p = serverPid(box);
      return p !== undefined && p !== oldServer ? p : undefined;
    });
    await healthy(box, 60_000);
    assert.match(box.output(), /restarting in/);
    assert.equal(box.token(), token, 'the generated token is reused');
    assert.equal((await box.api('GET', `/v1/tenants/${TENANT}/users/sa`)).status, 200);
    await registerAndCall(box, 'sa', 'sb');
  });

  it('SIGTERM to the PID of npm start drains the server and leaves no process and no port behind', async () => {
    const box = await start(tempDir(), true);
    const tree = descendants(box.script.pid ?? -1);
    assert.ok(tree.length >= 5, `start script, server, redis-server, rtpengine, engine under npm: ${tree.join(',')}`);
    // the engine's secret is not on its command line (ps shows every user the command lines)
    const enginePid = await childPid(box, 'sip-engine');
    assert.ok(enginePid, 'the engine has a pidfile');
    const cmdline = readFileSync(`/proc/${enginePid}/cmdline`, 'utf8');
    assert.match(cmdline, /engine/);
    assert.doesNotMatch(cmdline, /--secret/);
    box.script.kill('SIGTERM');
    assert.equal(await box.exited, 0, box.output().slice(-2000));
    await until('every process of the tree gone', 10_000, () => (tree.every((p) => !running(p)) ? true : undefined));
    assert.match(box.output(), /"message":"draining"/);
    assert.ok(await tcpFree(box.httpPort), 'REST port closed');
    assert.ok(await udpFree(box.sipPort), 'SIP port closed');
  });

  it('SIGINT to the start script (Ctrl-C) drains the server the same way', async () => {
    const box = await start(tempDir());
    const tree = descendants(box.script.pid ?? -1);
    box.script.kill('SIGINT');
    assert.equal(await box.exited, 0, box.output().slice(-2000));
    await until('every process of the tree gone', 10_000, () => (tree.every((p) => !running(p)) ? true : undefined));
    assert.match(box.output(), /"message":"draining"/);
  });

  it('answers 503 on /health when Redis lost its data (its data marker gone), not only when it is unreachable', async () => {
    const box = await start(tempDir());
    const redisPid = await childPid(box, 'redis-server');
    const port = /127\.0\.0\.1:(\d+)/.exec(readFileSync(`/proc/${redisPid}/cmdline`, 'utf8'))?.[1];
    assert.ok(port, 'the embedded redis-server port');
    const client = createClient({ url: `redis://127.0.0.1:${port}` });
    await client.connect();
    try {
      await client.flushAll();
    } finally {
      client.destroy();
    }
    const r = await box.api('GET', '/health');
    assert.equal(r.status, 503);
    const check = (r.body as { checks: Record<string, { ok: boolean; detail?: string }> }).checks.redisData;
    assert.equal(check?.ok, false);
    assert.match(check?.detail ?? '', /lost its data/);
  });

  it('refuses a second server on the same DATA_DIR with a clear message', async () => {
    const dir = tempDir();
    const box = await start(dir);
    const second = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], {
      env: { ...process.env, DATA_DIR: dir, SIP_PORT: String(await freePort('both')), HTTP_PORT: String(await freePort('tcp')),
        API_TOKEN: '', REDIS_URL: '', RTPENGINE_NG: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    second.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)));
    assert.equal(code, 2, err);
    assert.match(err, /DATA_DIR .* is in use by another feature server \(pid \d+\)/);
    assert.equal((await box.api('GET', '/health')).status, 200, 'the first server is untouched');
  });
});
