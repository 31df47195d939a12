import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort as anyFreePort } from '../test/support/ports';
import { flood, type FloodResult } from './abuse/flood';
import { memMap, memMapText } from './abuse/mem-map';
import { findServerChildren, readProc, Sampler } from './calls/procs';
import { liveCalls, provisionUsers, redisKeys, rtpengineCalls, serverLogTail, startFeatureServer, startRtpengine, stopProcess, type FeatureServer, type Rtpengine } from './calls/server';
import { commonArgs, errorExcerpt, failureKinds, killAllSipps, SCENARIOS, startSipp, statLast } from './calls/sipp';
import { Fuzzer, type FuzzResult } from './fuzz/fuzzer';

/**
 * npm run bench:abuse -- the whole feature server (node dist/main.js with its engine and
 * redis-server, and the bench's rtpengine) under abuse, everything on loopback, and by
 * default inside a network namespace of its own (unshare -rn: only `lo` exists, so no
 * mutated address can send anything off the machine):
 *
 *  a) an INVITE flood from 127.0.0.2 at the highest rate one socket pushes, BENCH_FLOOD_S
 *     seconds, while registered sipp phones on 127.0.0.3 make BENCH_LEGIT_RATE calls/s:
 *     the share of legitimate calls that completed (target >= 99.5%) and the flood rate;
 *  b) BENCH_FUZZ_COUNT mutated datagrams without credentials (bench/fuzz), then as many
 *     with valid credentials on BENCH_AUTH_SHARE of them, at BENCH_FUZZ_RATE/s from
 *     BENCH_FUZZ_SOURCES loopback addresses (127.0.1.x): zero crashes (a crash is the
 *     server or engine gone, or /health not answering; a 503 right after a run, while the
 *     server works off the fuzz, is not one), /health 200 after the idle, and the RSS of
 *     the server, engine, redis and rtpengine at baseline, peak, and BENCH_SETTLE_S after
 *     (target: within 20% of baseline).
 *
 * Environment: BENCH_FLOOD_S (20), BENCH_LEGIT_RATE (20), BENCH_FUZZ_COUNT (200000),
 * BENCH_FUZZ_RATE (3000), BENCH_FUZZ_SOURCES (16), BENCH_AUTH_SHARE (0.3), BENCH_SEED (13),
 * BENCH_SETTLE_S (60), BENCH_FLOOD_SETTLE_S (idle between a and b, 35), BENCH_MAX_S (a bound on each fuzz phase, 600), BENCH_PHASES (ab),
 * BENCH_FUZZ_MODES (plain,auth: which fuzz runs of b),
 * BENCH_NETNS=0 (run in the host's network namespace; the fuzzer then keeps every top Via
 * on its own socket), BENCH_KEEP=1 (keep logs and the last fuzzed messages),
 * BENCH_RTP_PORTS (default 32000-33999).
 */
const env = process.env;
const num = (name: string, dflt: number): number => {
  const v = env[name] === undefined || env[name] === '' ? dflt : Number(env[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}: not a number: ${env[name]}`);
  return v;
};
const FLOOD_S = num('BENCH_FLOOD_S', 20);
const LEGIT_RATE = num('BENCH_LEGIT_RATE', 20);
const FUZZ_COUNT = num('BENCH_FUZZ_COUNT', 200000);
const FUZZ_RATE = num('BENCH_FUZZ_RATE', 3000);
const FUZZ_SOURCES = Math.max(1, Math.min(200, num('BENCH_FUZZ_SOURCES', 16)));
const AUTH_SHARE = num('BENCH_AUTH_SHARE', 0.3);
const SEED = num('BENCH_SEED', 13);
const SETTLE_S = num('BENCH_SETTLE_S', 60);
const FLOOD_SETTLE_S = num('BENCH_FLOOD_SETTLE_S', 35);
const MAX_S = num('BENCH_MAX_S', 600);
const PHASES = env.BENCH_PHASES || 'ab';
const FUZZ_MODES = (env.BENCH_FUZZ_MODES || 'plain,auth').split(',');
const KEEP = env.BENCH_KEEP === '1';
const [RTP_MIN, RTP_MAX] = (env.BENCH_RTP_PORTS || '32000-33999').split('-').map(Number);
const FLOOD_SRC = '127.0.0.2';
const LEGIT_SRC = '127.0.0.3';
const USERS = 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const freePort = (): Promise<number> => anyFreePort('both', { ephemeral: true });
const mb = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(0)} MB` : 'n/a');

/** Re-run this bench inside a new network namespace with only loopback up, unless told not to or already inside. */
function inNamespace(): boolean {
  if (env.BENCH_NETNS === '0' || env.BENCH_NETNS_INNER === '1') return env.BENCH_NETNS_INNER === '1';
  const r = spawnSync('unshare', ['-rn', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${__filename}"`],
    { stdio: 'inherit', env: { ...env, BENCH_NETNS_INNER: '1' } });
  if (r.error) {
    console.log(`unshare not usable (${r.error.message}): running in this network namespace with the fuzzer's loopback guard`);
    return false;
  }
  process.exit(r.status ?? 1);
}

/** Resolves once something bound this UDP port on any address (/proc/net/udp; sipp gives no ready signal). */
async function waitUdpBound(port: number): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const end = Date.now() + 10000; Date.now() < end; await sleep(50)) {
    const rows = fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1);
    if (rows.some((l) => l.trim().split(' ')[1]?.endsWith(hex))) return;
  }
  throw new Error(`nothing bound UDP port ${port} within 10 s`);
}

/** sipp's common options with a source address of our choice. */
function sippArgs(host: string, port: number): string[] {
  const a = commonArgs(port);
  a[a.indexOf('-i') + 1] = host;
  return a;
}

interface Procs {
  server: number;
  engine?: number;
  redis?: number;
  rtpengine?: number;
}

function alive(p: Procs): Record<string, boolean> {
  return Object.fromEntries(Object.entries(p).map(([k, pid]) => [k, !!pid && readProc(pid) !== null]));
}

/** The server's V8 heap from its /metrics: tells retained objects (a leak) from RSS the allocator keeps. */
async function heapOf(s: FeatureServer): Promise<string> {
  const text = await fetch(`http://127.0.0.1:${s.httpPort}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text(), () => '');
  const mb = (name: string): string => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? `${Math.round(Number(line.split(' ')[1]) / 1048576)} MB` : '?';
  };
  return `used ${mb('nodejs_heap_size_used_bytes')} of ${mb('nodejs_heap_size_total_bytes')}, external ${mb('nodejs_external_memory_bytes')}`;
}

async function health(s: FeatureServer): Promise<number> {
  return fetch(`http://127.0.0.1:${s.httpPort}/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status, () => 0);
}

async function registerFrom(host: string, port: number, dir: string, server: FeatureServer, users: Array<{ user: string; password: string }>): Promise<void> {
  const csv = path.join(dir, 'callees.csv');
  fs.writeFileSync(csv, `SEQUENTIAL\n${users.map((u) => `${u.user};${u.password};[authentication username=${u.user} password=${u.password}]`).join('\n')}\n`);
  const reg = startSipp([`127.0.0.1:${server.sipPort}`, '-sf', path.join(SCENARIOS, 'register.xml'), '-inf', csv, ...sippArgs(host, port),
    '-set', 'contact_port', String(port), '-r', '50', '-m', String(users.length), '-timeout', '30s', '-timeout_error',
    '-trace_stat', '-stf', 'register-stat.csv', '-trace_err', '-error_file', 'register-errors.log'], dir, 40000);
  await reg.done;
  const ok = Number(statLast(path.join(dir, 'register-stat.csv'))?.['SuccessfulCall(C)'] ?? 0);
  if (ok !== users.length) throw new Error(`registrations: ${ok} of ${users.length}\n${errorExcerpt(path.join(dir, 'register-errors.log'))}`);
}

interface FloodPhase {
  calls: number;
  successful: number;
  failed: number;
  failures: string;
  flood: FloodResult;
  errors: string;
}

async function floodPhase(dir: string, server: FeatureServer, uacPort: number, callers: Array<{ user: string; password: string }>, callees: string[]): Promise<FloodPhase> {
  const calls = Math.round(LEGIT_RATE * FLOOD_S);
  fs.writeFileSync(path.join(dir, 'calls.csv'), `SEQUENTIAL\n${callers.map((c) =>
    `${c.user};${c.password};${callees[0]};[authentication username=${c.user} password=${c.password}]`).join('\n')}\n`);
  const uac = startSipp([`127.0.0.1:${server.sipPort}`, '-sf', path.join(SCENARIOS, 'uac.xml'), '-inf', path.join(dir, 'calls.csv'),
    // the digest uri must be the Request-URI and sipp signs one fixed -auth_uri (sip: is its own prefix): one callee for every call
    ...sippArgs(LEGIT_SRC, uacPort), '-auth_uri', `${callees[0]}@127.0.0.1:${server.sipPort}`, '-r', String(LEGIT_RATE), '-m', String(calls), '-l', String(LEGIT_RATE * 20), '-d', '1000',
    '-timeout', `${FLOOD_S + 60}s`, '-timeout_error', '-recv_timeout', '20000', '-trace_stat', '-stf', 'stat.csv', '-fd', '1',
    '-trace_err', '-error_file', 'errors.log'], dir, (FLOOD_S + 90) * 1000);
  // the phones start first, so the flood meets calls already under way
  await sleep(300);
  const result = await flood({ source: FLOOD_SRC, targetHost: '127.0.0.1', targetPort: server.sipPort, callee: callees[0], domain: '127.0.0.1', seconds: FLOOD_S });
  await uac.done;
  const stats = statLast(path.join(dir, 'stat.csv'));
  const successful = Number(stats?.['SuccessfulCall(C)'] ?? 0);
  const failed = Number(stats?.['FailedCall(C)'] ?? 0);
  return { calls, successful, failed, failures: failureKinds(stats), flood: result, errors: failed ? errorExcerpt(path.join(dir, 'errors.log'), 800) : '' };
}

interface FuzzPhase {
  name: string;
  result?: FuzzResult;
  error?: string;
  aliveAfter: Record<string, boolean>;
  healthAfter: number;
}

async function main(): Promise<void> {
  const netns = inNamespace();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-abuse-'));
  let server: FeatureServer | undefined;
  let rtpengine: Rtpengine | undefined;
  let serverProcs: Procs | undefined;
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    killAllSipps();
    await stopProcess(server?.child, 10000);
    // a server that crashed or was killed leaves its engine and redis-server behind
    for (const pid of [serverProcs?.engine, serverProcs?.redis]) {
      if (pid && readProc(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    await rtpengine?.stop();
    if (KEEP) console.log(`temp files kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let crashed = false;
  /** /health a minute after the fuzz: 200, or a failure (0: unreachable, counted as a crash) */
  let healthAfterIdle: number | undefined;
  let floodPh: FloodPhase | undefined;
  const fuzz: FuzzPhase[] = [];
  const table: Array<{ name: string; baseline: number; peak: number; after: number }> = [];
  try {
    const [sipPort, httpPort, uasPort, uacPort, ngPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    rtpengine = await startRtpengine(RTP_MIN, RTP_MAX, ngPort, path.join(dir, 'rtpengine.log'));
    const token = `abuse-${process.pid}-${Date.now().toString(36)}`;
    server = await startFeatureServer({ sipPort, httpPort, token, logFile: path.join(dir, 'server.log'), rtpengineNg: `127.0.0.1:${ngPort}`,
      // what is measured is the server as deployed: the engine's per-source limit at its default unless asked
      rateLimit: env.SIP_RATE_LIMIT ?? 'default' });
    const procs: Procs = { ...findServerChildren(server.child.pid ?? 0), rtpengine: rtpengine.child.pid };
    serverProcs = procs;
    console.log(`feature server ${procs.server} (SIP 127.0.0.1:${sipPort}), engine ${procs.engine ?? '?'}, redis ${procs.redis ?? '?'}, ` +
      `rtpengine ${procs.rtpengine}; ${netns ? 'in a network namespace of its own (only lo)' : 'in the host network namespace (loopback guard on)'}; ` +
      `${os.cpus().length} cores; SIP_RATE_LIMIT=${env.SIP_RATE_LIMIT ?? '(default)'}`);

    const pad = (p: string, i: number): string => `${p}${String(i + 1).padStart(4, '0')}`;
    const callers = Array.from({ length: USERS }, (_, i) => ({ user: pad('c', i), password: `pw-${pad('c', i)}-${token.slice(-6)}` }));
    const callees = Array.from({ length: USERS }, (_, i) => ({ user: pad('b', i), password: `pw-${pad('b', i)}-${token.slice(-6)}` }));
    const fuzzers = Array.from({ length: 10 }, (_, i) => ({ user: pad('f', i), password: `pw-${pad('f', i)}-${token.slice(-6)}` }));
    await provisionUsers(server, [...callers, ...callees, ...fuzzers]);
    await registerFrom(LEGIT_SRC, uasPort, dir, server, callees);
    startSipp(['-sf', path.join(SCENARIOS, 'uas.xml'), ...sippArgs(LEGIT_SRC, uasPort), '-trace_err', '-error_file', 'uas-errors.log'], dir, 24 * 3600 * 1000);
    await waitUdpBound(uasPort);
    console.log(`provisioned ${USERS} callers, ${USERS} callees (registered from ${LEGIT_SRC}:${uasPort}, answered by sipp), ${fuzzers.length} fuzz users`);

    if (PHASES.includes('a')) {
      console.log(`\n(a) INVITE flood from ${FLOOD_SRC} for ${FLOOD_S}s while ${LEGIT_SRC} makes ${LEGIT_RATE} calls/s ...`);
      floodPh = await floodPhase(dir, server, uacPort, callers, callees.map((c) => c.user));
      const f = floodPh.flood;
      console.log(`  flood: ${f.sent} INVITEs in ${f.seconds.toFixed(1)}s = ${f.rate.toFixed(0)}/s; answers ${JSON.stringify(f.answers)}`);
      console.log(`  legitimate calls: ${floodPh.successful}/${floodPh.calls} completed = ${(100 * floodPh.successful / floodPh.calls).toFixed(2)}% ` +
        `(target >= 99.5%)${floodPh.failures ? `; failures: ${floodPh.failures}` : ''}`);
      if (floodPh.errors) console.log(`  first sipp errors:\n${floodPh.errors.split('\n').map((l) => `    ${l}`).join('\n')}`);
      const a = alive(procs);
      console.log(`  after: alive ${JSON.stringify(a)}, /health ${await health(server)}`);
      if (!a.server || !a.engine) crashed = true;
      // let the flood's transactions time out (Timer H/J, 32 s) before the memory baseline
      if (PHASES.includes('b')) await sleep(FLOOD_SETTLE_S * 1000);
    }

    if (PHASES.includes('b') && !crashed) {
      const names = ['server', 'engine', 'redis', 'rtpengine'] as const;
      const pids = Object.fromEntries(names.map((n) => [n, procs[n]]));
      const sampler = new Sampler(pids, () => 0).start(500);
      const baseline = Object.fromEntries(names.map((n) => [n, readProc(procs[n] ?? 0)?.rssMb ?? NaN]));
      const where = (when: string): void => {
        for (const n of ['server', 'engine'] as const) console.log(`  ${n} memory ${when}: ${memMapText(memMap(procs[n] ?? 0))}`);
      };
      where('at baseline');
      const sources = Array.from({ length: FUZZ_SOURCES }, (_, i) => `127.0.1.${i + 1}`);
      const ring: string[] = [];
      const keep = (n: number, msg: Buffer, ops: string[], seed: string): void => {
        ring.push(`#${n} ${seed} [${ops.join(',')}]\n${msg.toString('latin1').slice(0, 4000)}`);
        if (ring.length > 500) ring.shift();
      };
      const modes = ([['without credentials', false], ['with credentials', true]] as const).filter(([, auth]) => FUZZ_MODES.includes(auth ? 'auth' : 'plain'));
      for (const [name, auth] of modes) {
        console.log(`\n(b) ${FUZZ_COUNT} fuzzed datagrams ${name}${auth ? ` (${AUTH_SHARE * 100}% credentialed)` : ''} at ${FUZZ_RATE}/s from ${sources.length} sources ...`);
        const phase: FuzzPhase = { name, aliveAfter: {}, healthAfter: 0 };
        try {
          phase.result = await new Fuzzer({
            targetHost: '127.0.0.1', targetPort: sipPort, sources, transport: 'udp', seed: SEED + (auth ? 1 : 0), count: FUZZ_COUNT, rate: FUZZ_RATE,
            maxMs: MAX_S * 1000, loopbackGuard: !netns, onSend: keep,
            auth: auth ? { share: AUTH_SHARE, users: fuzzers, callees: [...callees.slice(0, 5).map((c) => c.user), ...fuzzers.map((f) => f.user)], domain: '127.0.0.1' } : undefined,
          }).run();
        } catch (err) {
          phase.error = (err as Error).message;
        }
        phase.aliveAfter = alive(procs);
        phase.healthAfter = await health(server);
        fuzz.push(phase);
        const r = phase.result;
        if (r) {
          console.log(`  sent ${r.sent} (${r.authed} credentialed) in ${r.seconds.toFixed(0)}s = ${(r.sent / r.seconds).toFixed(0)}/s, ` +
            `${r.responses} answers ${JSON.stringify(r.byStatus)}, send errors ${r.sendErrors}`);
        }
        if (r && KEEP) {
          for (const [kind, text] of Object.entries(r.samples)) console.log(`  first ${kind} the server sent:\n${text.split('\r\n').map((l) => `    ${l}`).join('\n')}`);
        }
        if (phase.error) console.log(`  fuzzer stopped: ${phase.error}`);
        console.log(`  after: alive ${JSON.stringify(phase.aliveAfter)}, /health ${phase.healthAfter}` +
          `${phase.healthAfter !== 200 && phase.healthAfter !== 0 ? ' (busy right after the fuzz: not a crash; /health is judged after the idle)' : ''}`);
        // a crash is a process gone or /health not answering at all; a 503 while the server
        // still works off the fuzz (overload control, Redis busy) is judged after the idle
        if (!phase.aliveAfter.server || !phase.aliveAfter.engine || phase.healthAfter === 0) {
          crashed = true;
          fs.writeFileSync(path.join(dir, 'last-fuzzed.txt'), ring.join('\n\n-----\n'));
          console.log(`  CRASH or no health: the last ${ring.length} messages are in ${path.join(dir, 'last-fuzzed.txt')} (BENCH_KEEP=1 keeps it)`);
          const tail = serverLogTail(server.logFile, 12);
          if (tail.length) console.log(`  server log:\n${tail.map((l) => `    ${l}`).join('\n')}`);
          break;
        }
      }
      where('after the fuzz');
      const samples = sampler.stop();
      const peak = Object.fromEntries(names.map((n) => [n, Math.max(...samples.map((s) => s.procs[n]?.rssMb ?? 0))]));
      if (SETTLE_S > 0) {
        console.log(`\nidle ${SETTLE_S}s ...`);
        await sleep(SETTLE_S * 1000);
      }
      const after = Object.fromEntries(names.map((n) => [n, readProc(procs[n] ?? 0)?.rssMb ?? NaN]));
      where('after the idle');
      for (const n of names) table.push({ name: n, baseline: baseline[n], peak: peak[n], after: after[n] });
      const a = alive(procs);
      healthAfterIdle = await health(server);
      console.log(`after the idle: alive ${JSON.stringify(a)}, /health ${healthAfterIdle}; ` +
        `calls listed ${await liveCalls(server)}, rtpengine sessions ${await rtpengineCalls(ngPort)}, redis keys ${await redisKeys(procs.redis)}`);
      if (!a.server || !a.engine || healthAfterIdle === 0) crashed = true;
      console.log(`server heap after the idle: ${await heapOf(server)}`);
    }
  } finally {
    await cleanup();
  }

  console.log('\n=== bench:abuse summary ===');
  if (floodPh) {
    const pct = (100 * floodPh.successful) / floodPh.calls;
    console.log(`(a) legitimate calls during a ${FLOOD_S}s INVITE flood: ${pct.toFixed(2)}% (${floodPh.successful}/${floodPh.calls}; target >= 99.5%); ` +
      `flood ${floodPh.flood.rate.toFixed(0)} INVITEs/s from one address`);
  }
  if (fuzz.length) {
    console.log(`(b) fuzz: ${fuzz.map((f) => `${f.result?.sent ?? 0} ${f.name}`).join(', ')}; crashes: ${crashed ? 'YES' : 'none'}` +
      ` (a process gone, or /health unreachable); /health right after each run ${fuzz.map((f) => f.healthAfter).join(', ')}, after the idle ${healthAfterIdle ?? 'n/a'}`);
    if (table.length) {
      console.log('    process     baseline        peak   after idle   after/baseline');
      for (const r of table) {
        const ratio = r.after / r.baseline;
        console.log(`    ${r.name.padEnd(10)} ${mb(r.baseline).padStart(9)} ${mb(r.peak).padStart(11)} ${mb(r.after).padStart(12)} ` +
          `${Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)}%` : 'n/a'}${ratio > 1.2 ? '  (more than 20% above baseline)' : ''}`.padStart(16));
      }
    }
  }
  if (crashed || (healthAfterIdle !== undefined && healthAfterIdle !== 200) || (floodPh && floodPh.successful / floodPh.calls < 0.995)) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  killAllSipps();
  process.exit(1);
});
