import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client as NgClient } from 'rtpengine-client';
import { cmdline, holdUdpPort } from './procs';
import { rtpengineEnv } from '../../lib/runtime/allocator';

const ROOT = path.resolve(__dirname, '../../..');

export function exited(p: ChildProcess): Promise<number> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(p.exitCode ?? -1);
  return new Promise((resolve) => p.once('exit', (code) => resolve(code ?? -1)));
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopProcess(p: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = exited(p);
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** rtpengine-client's UDP client; a late reply is an 'error' event, which must have a listener. */
function ngClient(timeoutMs: number): NgClient {
  const ng = new NgClient({ localAddress: '127.0.0.1', timeout: timeoutMs });
  ng.on('error', () => undefined);
  return ng;
}

export interface Rtpengine {
  child: ChildProcess;
  ngPort: number;
  stop(): Promise<void>;
}

/**
 * A userspace rtpengine with a media range wide enough for thousands of calls (4 ports a
 * call), started the way lib/media/rtpengine-process.ts starts one. The server's own
 * rtpengine gets a block of 198 ports, i.e. about 49 calls at once.
 * `portMax + 2` is held as a lock so two runs of this bench never share the range
 * (rtpengine binds with address reuse: two instances on one range split the packets).
 */
export async function startRtpengine(portMin: number, portMax: number, ngPort: number, logFile: string): Promise<Rtpengine> {
  const lock = await holdUdpPort(portMax + 2);
  if (!lock) throw new Error(`UDP port ${portMax + 2} is taken: another bench:calls is running (or set BENCH_RTP_PORTS)`);
  const log = fs.openSync(logFile, 'a');
  const child = spawn('rtpengine', ['--config-file=none', '--table=-1', '--interface=127.0.0.1', `--listen-ng=127.0.0.1:${ngPort}`,
    // with the allocator settings the server gives the rtpengine it starts itself (issue #13)
    `--port-min=${portMin}`, `--port-max=${portMax}`, '--foreground', '--log-stderr', '--log-level=4'], { stdio: ['ignore', log, log], env: rtpengineEnv() });
  fs.closeSync(log);
  const stop = async (): Promise<void> => {
    await stopProcess(child, 3000);
    lock.close();
  };
  const ng = ngClient(200);
  try {
    const deadline = Date.now() + 5000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`rtpengine exited with ${child.exitCode}: ${fs.readFileSync(logFile, 'utf8').slice(-500)}`);
      const pong = await ng.ping({ port: ngPort, host: '127.0.0.1' }).catch(() => undefined);
      if (pong?.result === 'pong') break;
      if (Date.now() > deadline) throw new Error('rtpengine did not answer ping within 5 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    ng.close();
  }
  return { child, ngPort, stop };
}

/** How many calls rtpengine holds (ng `list`); NaN if it does not answer. */
export async function rtpengineCalls(ngPort: number): Promise<number> {
  const ng = ngClient(1000);
  try {
    const r = await ng.list({ port: ngPort, host: '127.0.0.1' }, { limit: 100000 });
    return Array.isArray(r.calls) ? r.calls.length : NaN;
  } catch {
    return NaN;
  } finally {
    ng.close();
  }
}

export interface FeatureServer {
  child: ChildProcess;
  sipPort: number;
  httpPort: number;
  token: string;
  logFile: string;
}

export interface Engine {
  child: ChildProcess;
  adminPort: number;
  httpPort: number;
  secret: string;
}

/**
 * The embedded SIP engine started on its own (the server then uses it as DRACHTIO_HOST),
 * for its /stats: transactions and dialogs alive, which tell a leak from lingering state.
 */
export async function startEngine(opts: { sipPort: number; adminPort: number; httpPort: number; secret: string; logFile: string }): Promise<Engine> {
  const log = fs.openSync(opts.logFile, 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/lib/engine/cli.js'), '--sip-address', '127.0.0.1', '--sip-port', String(opts.sipPort),
    '--admin-port', String(opts.adminPort), '--secret', opts.secret, '--http-port', String(opts.httpPort), '--log-level', 'warn',
    // every phone of the bench is 127.0.0.1: one source at hundreds of calls/s, not a flood
    '--rate-limit', '0'],
  { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const engine: Engine = { child, ...opts };
  const deadline = Date.now() + 10000;
  while (!(await engineStats(engine))) {
    if (child.exitCode !== null) throw new Error(`sip-engine exited with ${child.exitCode}: ${fs.readFileSync(opts.logFile, 'utf8').slice(-500)}`);
    if (Date.now() > deadline) {
      await stopProcess(child, 3000);
      throw new Error('sip-engine /stats did not answer within 10 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return engine;
}

/** The engine's counters (GET /stats); undefined if it does not answer. */
export async function engineStats(e: Engine): Promise<Record<string, number> | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${e.httpPort}/stats`);
    return r.status === 200 ? (await r.json()) as Record<string, number> : undefined;
  } catch {
    return undefined;
  }
}

export async function startFeatureServer(opts: {
  sipPort: number; httpPort: number; token: string; logFile: string; rtpengineNg?: string; engine?: Engine;
  /** SIP_RATE_LIMIT for the embedded engine: '0' (off) unless given; 'default' leaves the server's default */
  rateLimit?: string;
}): Promise<FeatureServer> {
  const log = fs.openSync(opts.logFile, 'a');
  const env: NodeJS.ProcessEnv = {
    ...process.env, API_TOKEN: opts.token, SIP_HOST: '127.0.0.1', SIP_PORT: String(opts.sipPort), HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(opts.httpPort), LOG_LEVEL: 'warn', INSTANCE_ID: `bench-calls-${process.pid}`,
    // every phone of the bench (and the edge of bench:scaleout) is 127.0.0.1: not a flood
    SIP_RATE_LIMIT: opts.rateLimit ?? '0',
    // sipp 3.6.1 answers only an MD5 challenge (RFC 8760's SHA-256 first stops it)
    DIGEST_ALGORITHMS: 'MD5',
    // a bench interrupted mid-step leaves calls up: do not let them hold the shutdown 30 s
    DRAIN_TIMEOUT: '5',
  };
  if (env.SIP_RATE_LIMIT === 'default') delete env.SIP_RATE_LIMIT;
  // its own state beside its log (the bench's temporary folder, removed with it) and its own
  // redis-server (started in a temporary folder and removed by the server): never an operator's
  env.DATA_DIR = path.join(path.dirname(opts.logFile), `data-${opts.sipPort}`);
  fs.mkdirSync(env.DATA_DIR, { recursive: true });
  delete env.REDIS_URL;
  delete env.DRACHTIO_HOST;
  delete env.DRACHTIO_PORT;
  delete env.DRACHTIO_SECRET;
  if (opts.engine) Object.assign(env, { DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(opts.engine.adminPort), DRACHTIO_SECRET: opts.engine.secret });
  if (opts.rtpengineNg) env.RTPENGINE_NG = opts.rtpengineNg;
  else delete env.RTPENGINE_NG;
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], { env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const server: FeatureServer = { child, sipPort: opts.sipPort, httpPort: opts.httpPort, token: opts.token, logFile: opts.logFile };
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the feature server exited with ${child.exitCode}: ${fs.readFileSync(opts.logFile, 'utf8').slice(-1000)}`);
    const status = await fetch(`http://127.0.0.1:${opts.httpPort}/health`).then((r) => r.status, () => 0);
    if (status === 200) return server;
    if (Date.now() > deadline) {
      await stopProcess(child, 5000);
      throw new Error(`GET /health not 200 within 30 s (last ${status})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function api(s: FeatureServer, method: string, route: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`http://127.0.0.1:${s.httpPort}${route}`, {
    method,
    headers: { authorization: `Bearer ${s.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, json };
}

/** PUT every user, `concurrency` requests at a time; throws on the first refusal. */
export async function provisionUsers(s: FeatureServer, users: Array<{ user: string; password: string }>, concurrency = 20): Promise<void> {
  await putEach(s, users.map((u) => ({ path: `/v1/tenants/127.0.0.1/users/${u.user}`, body: { password: u.password } })), concurrency);
}

/** PUTs each body to its path, `concurrency` at a time; throws on the first answer that is not 200/201. */
export async function putEach(s: FeatureServer, puts: Array<{ path: string; body: unknown }>, concurrency = 20): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < puts.length) {
      const p = puts[next++];
      const r = await api(s, 'PUT', p.path, p.body);
      if (r.status !== 200 && r.status !== 201) throw new Error(`PUT ${p.path}: ${r.status} ${JSON.stringify(r.json)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Live calls as GET /v1/calls lists them; NaN if the request fails. */
export async function liveCalls(s: FeatureServer): Promise<number> {
  try {
    const r = await api(s, 'GET', '/v1/calls');
    const calls = (r.json as { calls?: unknown[] }).calls;
    return r.status === 200 && Array.isArray(calls) ? calls.length : NaN;
  } catch {
    return NaN;
  }
}

/** Number of keys in the server's redis (DBSIZE through redis-cli); NaN if unknown. */
export function redisKeys(redisPid: number | undefined): Promise<number> {
  const port = redisPid ? /:(\d+)/.exec(cmdline(redisPid))?.[1] : undefined;
  if (!port) return Promise.resolve(NaN);
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', port, 'DBSIZE'], { timeout: 3000 }, (err, out) => resolve(err ? NaN : Number(out.trim())));
  });
}

/** Redis's own count of calls and microseconds spent per command (INFO commandstats); empty if unknown. */
export function redisCommandStats(redisPid: number | undefined): Promise<Map<string, { calls: number; usec: number }>> {
  const port = redisPid ? /:(\d+)/.exec(cmdline(redisPid))?.[1] : undefined;
  const out = new Map<string, { calls: number; usec: number }>();
  if (!port) return Promise.resolve(out);
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', port, 'INFO', 'commandstats'], { timeout: 3000 }, (err, text) => {
      if (!err) {
        for (const line of text.split('\n')) {
          const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
          if (m) out.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
        }
      }
      resolve(out);
    });
  });
}

/** The last `n` lines of the server log at level warn or error, for a report. */
export function serverLogTail(file: string, n = 8): string[] {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').filter((l) => /"level":"(warn|error)"/.test(l)).slice(-n).map((l) => l.slice(0, 400));
  } catch {
    return [];
  }
}
