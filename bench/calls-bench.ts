import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort as anyFreePort, waitUdpBound } from '../test/support/ports';
import { cpuBetween, cpuPeak, findServerChildren, readProc, Sampler, udpDrops, type ServerProcs } from './calls/procs';

/** ephemeral ports, clear of the bench rtpengine's media range */
const freePort = (): Promise<number> => anyFreePort('both', { ephemeral: true });
import {
  engineStats, liveCalls, provisionUsers, putEach, redisCommandStats, redisKeys, rtpengineCalls, serverLogTail, startEngine, startFeatureServer, startRtpengine, stopProcess,
  type Engine, type FeatureServer, type Rtpengine,
} from './calls/server';
import { commonArgs, errorExcerpt, failureKinds, killAllSipps, responseTimes, SCENARIOS, startSipp, statLast, type SippRun } from './calls/sipp';
import { percentile } from './proc-usage';

/**
 * npm run bench:calls -- the whole feature server (node dist/main.js: SIP engine child,
 * redis-server, digest auth, registrar, B2BUA with rtpengine offer/answer/delete) under
 * sipp load, everything on 127.0.0.1:
 *
 *  1. start the server on free ports, wait for GET /health 200;
 *  2. provision callers c0001.. and callees b0001.. over REST;
 *  3. register every callee (REGISTER, 401, REGISTER with credentials, 200) with the
 *     Contact of one sipp UAS, then start that UAS (bench/scenarios/uas.xml);
 *  4. hold ~2,000 calls up at once and sample the memory of the server and its engine
 *     (first, on a fresh server; then idle 35 s, past the transactions' 32 s timers);
 *  5. step the call rate up (bench/scenarios/uac.xml: INVITE, 407, ACK, INVITE with
 *     credentials, 200, ACK, pause, BYE, 200) until a step has failures;
 *  6. print the highest rate held with zero failures, INVITE(auth)->200 p50/p99 and the
 *     CPU of every process at that rate, and the peak memory with ~2,000 calls up.
 *
 * No RTP flows: rtpengine allocates ports and rewrites SDP (ng offer/answer/delete) only.
 * By default the bench starts its own rtpengine with a wide media range and hands it to
 * the server (RTPENGINE_NG): the one the server starts for itself has 198 media ports,
 * i.e. about 49 calls at once (BENCH_RTPENGINE=server uses it anyway).
 * BENCH_ENGINE=own starts the SIP engine on its own (DRACHTIO_HOST) with its /stats, and
 * prints the transactions and dialogs it still holds after each phase and 35 s after the
 * last step (a leak check).
 *
 * Environment: BENCH_RATES (calls/s, default 100,200,300,400,500), BENCH_SECONDS (per step,
 * default 30), BENCH_CALL_MS (call duration, default 1000), BENCH_USERS (callers = callees,
 * default 200), BENCH_REG_RATE (REGISTERs/s, default 100), BENCH_MEM_RATE (default 200),
 * BENCH_MEM_CALLS (default 2000), BENCH_MEM_CALL_MS (default 10000), BENCH_MEM=0 (skip the
 * memory phase), BENCH_FORWARDING=compare (after the steps, give every callee forwarding
 * rules on busy and on no answer, which the answering UAS never triggers, and run the steps
 * again: issue 17's "no regression with forwarding rules present", both printed),
 * BENCH_RTPENGINE (own|server, default own), BENCH_RTP_PORTS (own
 * rtpengine's media range, default 20000-31997), BENCH_MEM_SETTLE_S (idle seconds before the
 * memory is read again, default 35), BENCH_ENGINE (server|own, default server), BENCH_KEEP=1
 * (keep the temp directory: logs, sipp statistics and error files).
 */
const env = process.env;
const num = (name: string, dflt: number): number => {
  const v = env[name] === undefined || env[name] === '' ? dflt : Number(env[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}: not a number: ${env[name]}`);
  return v;
};
const RATES = (env.BENCH_RATES || '100,200,300,400,500').split(',').map(Number);
const SECONDS = num('BENCH_SECONDS', 30);
const CALL_MS = num('BENCH_CALL_MS', 1000);
const USERS = num('BENCH_USERS', 200);
const REG_RATE = num('BENCH_REG_RATE', 100);
const MEM = env.BENCH_MEM !== '0';
const MEM_RATE = num('BENCH_MEM_RATE', 200);
const MEM_CALLS = num('BENCH_MEM_CALLS', 2000);
const MEM_CALL_MS = num('BENCH_MEM_CALL_MS', 10000);
/** after the memory phase, idle this long (past Timer J/D, 32 s) and read the memory again */
const MEM_SETTLE_S = num('BENCH_MEM_SETTLE_S', 35);
const OWN_RTPENGINE = (env.BENCH_RTPENGINE || 'own') !== 'server';
const OWN_ENGINE = env.BENCH_ENGINE === 'own';
const [RTP_MIN, RTP_MAX] = (env.BENCH_RTP_PORTS || '20000-31997').split('-').map(Number);
const KEEP = env.BENCH_KEEP === '1';
const FORWARDING = env.BENCH_FORWARDING === 'compare';
/** a call waiting this long for its next message has failed (sipp -recv_timeout) */
const RECV_TIMEOUT_MS = 20000;

interface StepResult {
  rate: number;
  calls: number;
  ok: boolean;
  successful: number;
  failed: number;
  failures: string;
  retransmissions: number;
  uasRetransmissions: number;
  p50: number;
  p99: number;
  cpu: Record<string, number>;
  /** highest CPU over 2 s */
  cpuPeak: Record<string, number>;
  /** datagrams dropped on each process's full UDP sockets during the step */
  drops: Record<string, number>;
  /** after the step: calls the server still lists, calls rtpengine still holds, keys in redis */
  leftCalls: number;
  leftMedia: number;
  redisKeys: number;
  engineLeft: string;
  errors: string;
}

interface Ctx {
  dir: string;
  server: FeatureServer;
  procs: ServerProcs;
  rtpengine?: Rtpengine;
  engine?: Engine;
  uas: SippRun;
  uasPort: number;
  uacPort: number;
  /**
   * The one user every call dials. The digest uri must be the Request-URI (RFC 7616
   * 3.4.6, checked since issue #13) and sipp 3.6.1 signs one fixed -auth_uri, never a
   * per-call one: so every call goes to this callee (its one contact is the sipp UAS that
   * answers all calls anyway).
   */
  callee: string;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : 'n/a');
const mb = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(0)} MB` : 'n/a');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pidsOf(ctx: Ctx, uac?: SippRun): Record<string, number | undefined> {
  return {
    server: ctx.procs.server, engine: ctx.procs.engine, redis: ctx.procs.redis,
    rtpengine: ctx.rtpengine?.child.pid ?? ctx.procs.rtpengine, 'sipp-uas': ctx.uas.child.pid, 'sipp-uac': uac?.child.pid,
  };
}

function cpuLine(cpu: Record<string, number>): string {
  return `server ${pct(cpu.server)}, engine ${pct(cpu.engine)}, redis ${pct(cpu.redis)}, rtpengine ${pct(cpu.rtpengine)}` +
    ` (sipp uac ${pct(cpu['sipp-uac'])}, uas ${pct(cpu['sipp-uas'])})`;
}

/** Waits until the server lists no live call (at most `ms`), then reports what is left. */
async function leftovers(ctx: Ctx, ms: number): Promise<{ calls: number; media: number; keys: number; engine: string }> {
  const end = Date.now() + ms;
  let calls = await liveCalls(ctx.server);
  while (calls !== 0 && Date.now() < end) {
    await sleep(250);
    calls = await liveCalls(ctx.server);
  }
  const media = ctx.rtpengine ? await rtpengineCalls(ctx.rtpengine.ngPort) : NaN;
  return { calls, media, keys: await redisKeys(ctx.procs.redis), engine: await engineLeft(ctx) };
}

/** What the engine still holds (BENCH_ENGINE=own only): transactions, dialogs. */
async function engineLeft(ctx: Ctx): Promise<string> {
  const st = ctx.engine ? await engineStats(ctx.engine) : undefined;
  return st ? `${st.transactions} transactions (${st.serverTransactions} server, ${st.clientTransactions} client), ${st.dialogs} dialogs` : '';
}

function uacArgs(ctx: Ctx, rate: number, calls: number, callMs: number, limit: number, timeoutS: number, statEvery: string): string[] {
  return [`127.0.0.1:${ctx.server.sipPort}`, '-sf', path.join(SCENARIOS, 'uac.xml'), '-inf', path.join(ctx.dir, 'calls.csv'),
    ...commonArgs(ctx.uacPort), '-auth_uri', `${ctx.callee}@127.0.0.1:${ctx.server.sipPort}`, '-r', String(rate), '-m', String(calls), '-l', String(limit), '-d', String(callMs),
    '-timeout', `${timeoutS}s`, '-timeout_error', '-recv_timeout', String(RECV_TIMEOUT_MS),
    '-trace_stat', '-stf', 'stat.csv', '-fd', statEvery, '-trace_rtt', '-rtt_freq', '1', '-trace_err', '-error_file', 'errors.log'];
}

function uasRetrans(ctx: Ctx): number {
  return Number(statLast(path.join(ctx.dir, 'uas-stat.csv'))?.['Retransmissions(C)'] ?? NaN);
}

async function step(ctx: Ctx, rate: number): Promise<StepResult> {
  const dir = fs.mkdtempSync(path.join(ctx.dir, `step-${rate}-`));
  const calls = Math.round(rate * SECONDS);
  const uasRetrans0 = uasRetrans(ctx);
  const uac = startSipp(uacArgs(ctx, rate, calls, CALL_MS, Math.max(rate * 10, 100), SECONDS + 60, '1s'), dir, (SECONDS + 90) * 1000);
  const pids = pidsOf(ctx, uac);
  const drops0 = udpDrops(pids);
  // the UAC's sockets are gone once it exits: its count is taken at the last sample
  const sampler = new Sampler(pids, () => udpDrops(pids)).start(500);
  await uac.done;
  const samples = sampler.stop();
  const drops1 = { ...samples.map((s) => s.extra).reverse().find((d) => d['sipp-uac'] !== undefined), ...udpDrops(pids) };
  const drops = Object.fromEntries(Object.keys(drops0).map((k) => [k, (drops1[k] ?? drops0[k]) - drops0[k]]));
  await sleep(1100); // the UAS dumps its statistics every second
  const stats = statLast(path.join(dir, 'stat.csv'));
  const rtts = responseTimes(dir);
  const successful = Number(stats?.['SuccessfulCall(C)'] ?? 0);
  const failed = Number(stats?.['FailedCall(C)'] ?? 0);
  const left = await leftovers(ctx, 10000);
  const ok = failed === 0 && successful === calls;
  return {
    rate, calls, ok, successful, failed, failures: failureKinds(stats),
    retransmissions: Number(stats?.['Retransmissions(C)'] ?? NaN),
    uasRetransmissions: uasRetrans(ctx) - uasRetrans0,
    p50: percentile(rtts, 50),
    p99: percentile(rtts, 99),
    // steady state: from when the first calls end until the last call was placed
    cpu: cpuBetween(samples, CALL_MS / 1000 + 1, SECONDS),
    cpuPeak: cpuPeak(samples, 2),
    drops,
    leftCalls: left.calls, leftMedia: left.media, redisKeys: left.keys, engineLeft: left.engine,
    errors: ok ? '' : errorExcerpt(path.join(dir, 'errors.log')),
  };
}

/** The rate steps, up to the first with failures (printed as they end). */
async function steps(ctx: Ctx): Promise<StepResult[]> {
  const out: StepResult[] = [];
  for (const rate of RATES) {
    const r = await step(ctx, rate);
    out.push(r);
    printStep(r);
    if (!r.ok) {
      if (r.errors) console.log(`  first sipp errors:\n${r.errors.split('\n').map((l) => `    ${l}`).join('\n')}`);
      const tail = serverLogTail(ctx.server.logFile);
      if (tail.length) console.log(`  server log (last warnings/errors):\n${tail.map((l) => `    ${l}`).join('\n')}`);
      break;
    }
  }
  return out;
}

function highestHeld(results: StepResult[]): StepResult | undefined {
  return results.filter((r) => r.ok).pop();
}

interface MemPoint {
  t: number;
  concurrent: number;
  rss: Record<string, number>;
}

interface MemResult {
  calls: number;
  successful: number;
  failed: number;
  failures: string;
  /** before the first call of the phase */
  baseline: MemPoint;
  /** the sample with the server's highest RSS, with the engine's, and with the most calls up */
  serverPeak: MemPoint;
  enginePeak: MemPoint;
  mostCalls: MemPoint;
  /** highest RSS of redis and rtpengine during the phase */
  others: Record<string, number>;
  timeline: MemPoint[];
  /** RSS after MEM_SETTLE_S idle seconds */
  settled?: Record<string, number>;
  settledEngine?: string;
  apiCallsAtPeak: number;
  p50: number;
  p99: number;
  leftCalls: number;
  leftMedia: number;
  errors: string;
}

async function memoryPhase(ctx: Ctx): Promise<MemResult> {
  const dir = fs.mkdtempSync(path.join(ctx.dir, 'memory-'));
  const arrivalS = MEM_CALLS / MEM_RATE;
  const statFile = path.join(dir, 'stat.csv');
  const uac = startSipp(uacArgs(ctx, MEM_RATE, MEM_CALLS, MEM_CALL_MS, MEM_CALLS + 500, Math.ceil(arrivalS + MEM_CALL_MS / 1000 + 60), '200ms'),
    dir, (arrivalS + MEM_CALL_MS / 1000 + 90) * 1000);
  // calls up now, as sipp last dumped it (every 200 ms)
  const sampler = new Sampler(pidsOf(ctx, uac), () => Number(statLast(statFile)?.CurrentCall ?? 0)).start(500);
  // cross-check of the count, once, when the last call has been placed and the first has not ended yet
  // (listing 2,000 calls is not free, so not at every sample)
  const atPeak = sleep(Math.min(arrivalS, MEM_CALL_MS / 1000) * 1000).then(() => liveCalls(ctx.server));
  await uac.done;
  const endedAt = Date.now();
  const samples = sampler.stop();
  const apiCallsAtPeak = await atPeak;
  const stats = statLast(statFile);
  const rtts = responseTimes(dir);
  const points: MemPoint[] = samples.map((s) => ({
    t: s.t, concurrent: s.extra,
    rss: Object.fromEntries(Object.entries(s.procs).map(([k, v]) => [k, v?.rssMb ?? NaN])),
  }));
  fs.writeFileSync(path.join(dir, 'samples.csv'), `t;calls;${Object.keys(points[0].rss).join(';')}\n${points.map((p) =>
    `${p.t.toFixed(1)};${p.concurrent};${Object.values(p.rss).map((v) => v.toFixed(1)).join(';')}`).join('\n')}\n`);
  const maxBy = (f: (p: MemPoint) => number): MemPoint => points.reduce((a, b) => (f(b) > f(a) ? b : a));
  const left = await leftovers(ctx, 15000);
  const successful = Number(stats?.['SuccessfulCall(C)'] ?? 0);
  const failed = Number(stats?.['FailedCall(C)'] ?? 0);
  let settled: Record<string, number> | undefined;
  let settledEngine: string | undefined;
  if (MEM_SETTLE_S > 0) {
    await sleep(Math.max(0, MEM_SETTLE_S * 1000 - (Date.now() - endedAt)));
    const pids = pidsOf(ctx);
    settled = Object.fromEntries(['server', 'engine', 'redis', 'rtpengine'].map((k) => [k, readProc(pids[k] ?? 0)?.rssMb ?? NaN]));
    settledEngine = await engineLeft(ctx);
  }
  return {
    calls: MEM_CALLS, settled, settledEngine, successful, failed, failures: failureKinds(stats),
    baseline: points[0],
    serverPeak: maxBy((p) => p.rss.server || 0),
    enginePeak: maxBy((p) => p.rss.engine || 0),
    mostCalls: maxBy((p) => p.concurrent),
    others: { redis: maxBy((p) => p.rss.redis || 0).rss.redis, rtpengine: maxBy((p) => p.rss.rtpengine || 0).rss.rtpengine },
    timeline: points.filter((p, i) => i % 4 === 0 || i === points.length - 1),
    apiCallsAtPeak, p50: percentile(rtts, 50), p99: percentile(rtts, 99),
    leftCalls: left.calls, leftMedia: left.media,
    errors: failed === 0 && successful === MEM_CALLS ? '' : errorExcerpt(path.join(dir, 'errors.log')),
  };
}

/** Registers every callee from the UAS's port (the registrar sends calls where a REGISTER came from). */
async function registerCallees(ctx: Ctx | Omit<Ctx, 'uas' | 'callee'>, callees: Array<{ user: string; password: string }>): Promise<void> {
  const csv = path.join(ctx.dir, 'callees.csv');
  fs.writeFileSync(csv, `SEQUENTIAL\n${callees.map((u) => `${u.user};${u.password};[authentication username=${u.user} password=${u.password}]`).join('\n')}\n`);
  const timeoutS = Math.ceil(callees.length / REG_RATE) + 30;
  const reg = startSipp([`127.0.0.1:${ctx.server.sipPort}`, '-sf', path.join(SCENARIOS, 'register.xml'), '-inf', csv,
    ...commonArgs(ctx.uasPort), '-set', 'contact_port', String(ctx.uasPort), '-r', String(REG_RATE), '-m', String(callees.length),
    '-l', String(Math.max(REG_RATE * 2, 10)), '-timeout', `${timeoutS}s`, '-timeout_error', '-recv_timeout', String(RECV_TIMEOUT_MS),
    '-trace_stat', '-stf', 'register-stat.csv', '-trace_err', '-error_file', 'register-errors.log'], ctx.dir, (timeoutS + 10) * 1000);
  const code = await reg.done;
  const stats = statLast(path.join(ctx.dir, 'register-stat.csv'));
  const ok = Number(stats?.['SuccessfulCall(C)'] ?? 0);
  if (ok !== callees.length) {
    throw new Error(`registrations: ${ok} of ${callees.length} succeeded (sipp exit ${code}; ${failureKinds(stats)})\n` +
      `${errorExcerpt(path.join(ctx.dir, 'register-errors.log'))}`);
  }
}

/**
 * What the registrations cost Redis, per registration (both REGISTERs of the digest exchange), and the share of it that is
 * the `registration.changed` PUBLISH (issue 20: the console's live registrations): the
 * reference is every other command of the same phase, so the ratio holds on a busy host.
 * (Other traffic of the phase, e.g. the bus's and health checks', is in the total too.)
 */
function printRegisterRedisCost(before: Map<string, { calls: number; usec: number }>, after: Map<string, { calls: number; usec: number }>, registers: number): void {
  if (after.size === 0) {
    console.log('redis per REGISTER: INFO commandstats not readable');
    return;
  }
  const delta = [...after].map(([cmd, a]) => ({ cmd, calls: a.calls - (before.get(cmd)?.calls ?? 0), usec: a.usec - (before.get(cmd)?.usec ?? 0) })).filter((d) => d.calls > 0);
  const total = delta.reduce((x, d) => ({ calls: x.calls + d.calls, usec: x.usec + d.usec }), { calls: 0, usec: 0 });
  const publish = delta.find((d) => d.cmd === 'publish') ?? { calls: 0, usec: 0 };
  const per = (n: number): string => (n / registers).toFixed(2);
  console.log(`redis per registration (REGISTER, 401, REGISTER, 200): ${per(total.calls)} commands, ${per(total.usec)} µs in redis; of it PUBLISH (registration.changed and bus) ${per(publish.calls)} commands, `
    + `${per(publish.usec)} µs (${total.usec > 0 ? ((100 * publish.usec) / total.usec).toFixed(1) : '0'}% of the redis time); by command: `
    + delta.sort((x, y) => y.usec - x.usec).slice(0, 8).map((d) => `${d.cmd} ${per(d.calls)}×/${per(d.usec)} µs`).join(', '));
}

function printStep(r: StepResult): void {
  console.log(`rate ${r.rate}/s for ${SECONDS}s: ${r.successful}/${r.calls} ok, ${r.failed} failed${r.failures ? ` (${r.failures})` : ''}, ` +
    `retransmissions uac ${r.retransmissions} uas ${r.uasRetransmissions}, INVITE(auth)->200 p50 ${r.p50} ms p99 ${r.p99} ms`);
  console.log(`  CPU (1 core = 100%): ${cpuLine(r.cpu)}`);
  console.log(`  CPU, busiest 2 s: ${cpuLine(r.cpuPeak)}`);
  const dropped = Object.entries(r.drops).filter(([, v]) => v > 0);
  if (dropped.length) console.log(`  UDP datagrams dropped on full sockets: ${dropped.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`  after the step: ${r.leftCalls} calls listed by the server, ${Number.isNaN(r.leftMedia) ? 'n/a' : r.leftMedia} held by rtpengine, ` +
    `${r.redisKeys} redis keys${r.engineLeft ? `; engine: ${r.engineLeft}` : ''}`);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-calls-'));
  let server: FeatureServer | undefined;
  let rtpengine: Rtpengine | undefined;
  let engine: Engine | undefined;
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    killAllSipps();
    await stopProcess(server?.child, 40000); // it drains: no call should be left, so it exits at once
    await stopProcess(engine?.child, 5000);
    await rtpengine?.stop();
    if (KEEP) console.log(`temp files kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const results: StepResult[] = [];
  let withForwarding: StepResult[] | undefined;
  let mem: MemResult | undefined;
  let ctx: Ctx | undefined;
  try {
    const [sipPort, httpPort, uasPort, uacPort, ngPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    if (OWN_RTPENGINE) rtpengine = await startRtpengine(RTP_MIN, RTP_MAX, ngPort, path.join(dir, 'rtpengine.log'));
    const token = `bench-${process.pid}-${Date.now().toString(36)}`;
    if (OWN_ENGINE) {
      engine = await startEngine({ sipPort, adminPort: await freePort(), httpPort: await freePort(), secret: token, logFile: path.join(dir, 'engine.log') });
    }
    server = await startFeatureServer({ sipPort, httpPort, token, logFile: path.join(dir, 'server.log'),
      rtpengineNg: rtpengine ? `127.0.0.1:${rtpengine.ngPort}` : undefined, engine });
    const procs = findServerChildren(server.child.pid ?? 0);
    if (engine) procs.engine = engine.child.pid;
    console.log(`feature server pid ${procs.server} (SIP 127.0.0.1:${sipPort}, HTTP ${httpPort}): engine ${procs.engine ?? '?'}, ` +
      `${engine ? '(its own process) ' : ''}redis-server ${procs.redis ?? '?'}, rtpengine ${rtpengine ? `${rtpengine.child.pid} (the bench's, media ${RTP_MIN}-${RTP_MAX})` : (procs.rtpengine ?? '?')}`);

    const pad = (i: number): string => String(i + 1).padStart(4, '0');
    const callers = Array.from({ length: USERS }, (_, i) => ({ user: `c${pad(i)}`, password: `pw-c${pad(i)}-${token.slice(-6)}` }));
    const callees = Array.from({ length: USERS }, (_, i) => ({ user: `b${pad(i)}`, password: `pw-b${pad(i)}-${token.slice(-6)}` }));
    let t = Date.now();
    await provisionUsers(server, [...callers, ...callees]);
    console.log(`provisioned ${callers.length + callees.length} users in ${Date.now() - t} ms`);
    t = Date.now();
    const redisBefore = await redisCommandStats(procs.redis);
    await registerCallees({ dir, server, procs, rtpengine, uasPort, uacPort }, callees);
    console.log(`registered ${callees.length} callees at ${REG_RATE}/s in ${Date.now() - t} ms, Contact 127.0.0.1:${uasPort}`);
    printRegisterRedisCost(redisBefore, await redisCommandStats(procs.redis), callees.length);

    const uas = startSipp(['-sf', path.join(SCENARIOS, 'uas.xml'), ...commonArgs(uasPort), '-trace_stat', '-stf', 'uas-stat.csv', '-fd', '1',
      '-trace_err', '-error_file', 'uas-errors.log'], dir, 24 * 3600 * 1000);
    await waitUdpBound(uasPort);
    ctx = { dir, server, procs, rtpengine, engine, uas, uasPort, uacPort, callee: callees[0].user };
    fs.writeFileSync(path.join(dir, 'calls.csv'), `SEQUENTIAL\n${callers.map((c) =>
      `${c.user};${c.password};${callees[0].user};[authentication username=${c.user} password=${c.password}]`).join('\n')}\n`);
    const base = await leftovers(ctx, 0);
    console.log(`redis keys before the calls: ${base.keys}`);
    console.log('');

    // memory first, on a fresh server: what the rate steps leave behind (transactions
    // lingering 32 s, the V8 heap's high-water mark) would otherwise count as call state
    if (MEM) {
      console.log(`memory: ${MEM_CALLS} calls at ${MEM_RATE}/s lasting ${MEM_CALL_MS} ms ...`);
      mem = await memoryPhase(ctx);
      console.log(`  ${mem.successful}/${mem.calls} ok, ${mem.failed} failed${mem.failures ? ` (${mem.failures})` : ''}, ` +
        `most calls up at once (sipp) ${mem.mostCalls.concurrent}, GET /v1/calls when the last call was placed: ${mem.apiCallsAtPeak}, ` +
        `INVITE(auth)->200 p50 ${mem.p50} ms p99 ${mem.p99} ms`);
      console.log('  t (s)  calls up  server RSS  engine RSS  redis RSS  rtpengine RSS');
      for (const p of mem.timeline) {
        console.log(`  ${p.t.toFixed(1).padStart(5)}  ${String(p.concurrent).padStart(8)}  ${mb(p.rss.server).padStart(10)}  ${mb(p.rss.engine).padStart(10)}` +
          `  ${mb(p.rss.redis).padStart(9)}  ${mb(p.rss.rtpengine).padStart(13)}`);
      }
      console.log(`  after: ${mem.leftCalls} calls listed by the server, ${Number.isNaN(mem.leftMedia) ? 'n/a' : mem.leftMedia} held by rtpengine`);
      if (mem.settled) {
        console.log(`  RSS ${MEM_SETTLE_S}s after the last call: server ${mb(mem.settled.server)}, engine ${mb(mem.settled.engine)}, ` +
          `redis ${mb(mem.settled.redis)}, rtpengine ${mb(mem.settled.rtpengine)}${mem.settledEngine ? `; engine: ${mem.settledEngine}` : ''}`);
      }
      if (mem.errors) console.log(`  first sipp errors:\n${mem.errors.split('\n').map((l) => `    ${l}`).join('\n')}`);
      console.log('');
    }

    results.push(...await steps(ctx));
    if (FORWARDING) {
      // every callee forwards on busy and on no answer (to another callee): the rules are read
      // on every call, never triggered (the UAS answers at once)
      await putEach(server, callees.map((u, i) => ({
        path: `/v1/tenants/127.0.0.1/users/${u.user}/forwarding`,
        body: { busy: callees[(i + 1) % callees.length].user, noAnswer: callees[(i + 2) % callees.length].user, noAnswerSeconds: 20, dnd: false },
      })));
      console.log('');
      console.log(`forwarding rules (busy, no answer) on all ${callees.length} callees; the same steps again:`);
      withForwarding = await steps(ctx);
    }

    if (ctx.engine && MEM_SETTLE_S > 0) {
      // leak check: once every transaction timer has run out, the engine should hold nothing
      await sleep(MEM_SETTLE_S * 1000);
      const rss = (name: string): string => mb(readProc(pidsOf(ctx as Ctx)[name] ?? 0)?.rssMb);
      console.log(`${MEM_SETTLE_S}s after the last step: engine: ${await engineLeft(ctx)}; ` +
        `RSS server ${rss('server')}, engine ${rss('engine')}, rtpengine ${rss('rtpengine')}; ` +
        `rtpengine calls ${ctx.rtpengine ? await rtpengineCalls(ctx.rtpengine.ngPort) : 'n/a'}, redis keys ${await redisKeys(ctx.procs.redis)}`);
    }
  } finally {
    const uasStats = ctx ? statLast(path.join(ctx.dir, 'uas-stat.csv')) : undefined;
    if (uasStats && Number(uasStats['FailedCall(C)']) > 0) {
      console.log(`sipp UAS: ${uasStats['FailedCall(C)']} failed calls (${failureKinds(uasStats)})`);
      console.log(errorExcerpt(path.join(dir, 'uas-errors.log'), 800).split('\n').map((l) => `    ${l}`).join('\n'));
    }
    await cleanup();
  }

  const best = highestHeld(results);
  console.log('');
  console.log(`=== bench:calls summary (${os.cpus().length} cores, steps of ${SECONDS}s, calls of ${CALL_MS} ms, ${USERS} callers -> ${USERS} callees) ===`);
  if (best) {
    console.log(`highest rate held ${SECONDS}s with zero failures: ${best.rate} calls/s` +
      `${best === results[results.length - 1] && results.length === RATES.length ? ' (the highest step tried)' : ''}`);
    console.log(`INVITE(auth)->200 at that rate: p50 ${best.p50} ms, p99 ${best.p99} ms`);
    console.log(`CPU at that rate: ${cpuLine(best.cpu)}`);
  } else {
    console.log('no rate was held with zero failures');
  }
  if (withForwarding) {
    const f = highestHeld(withForwarding);
    console.log(f
      ? `with forwarding rules on every callee: ${f.rate} calls/s held, INVITE(auth)->200 p50 ${f.p50} ms, p99 ${f.p99} ms; CPU: ${cpuLine(f.cpu)}`
      : 'with forwarding rules on every callee: no rate was held with zero failures');
  }
  if (mem) {
    const held = mem.failed === 0 && mem.successful === mem.calls;
    const at = (p: MemPoint): string => `${p.concurrent} calls up, t=${p.t.toFixed(1)}s`;
    console.log(`peak memory, ${MEM_CALLS} calls at ${MEM_RATE}/s lasting ${MEM_CALL_MS / 1000}s${held ? ', all completed' : ` (NOT all completed: ${mem.successful}/${mem.calls})`}:`);
    console.log(`  server ${mb(mem.serverPeak.rss.server)} (${at(mem.serverPeak)}; ${mb(mem.baseline.rss.server)} before), ` +
      `engine ${mb(mem.enginePeak.rss.engine)} (${at(mem.enginePeak)}; ${mb(mem.baseline.rss.engine)} before)`);
    console.log(`  at the most calls up (${at(mem.mostCalls)}): server ${mb(mem.mostCalls.rss.server)}, engine ${mb(mem.mostCalls.rss.engine)}; ` +
      `peaks of redis ${mb(mem.others.redis)}, rtpengine ${mb(mem.others.rtpengine)}`);
  }
  const clean = [...results, ...(withForwarding ?? [])].every((r) => r.leftCalls === 0 && (Number.isNaN(r.leftMedia) || r.leftMedia === 0)) && (!mem || (mem.leftCalls === 0 && (Number.isNaN(mem.leftMedia) || mem.leftMedia === 0)));
  if (!clean) console.log('WARNING: calls were left over after a phase (see above)');
  if (!best || (mem && (mem.failed > 0 || mem.successful !== mem.calls))) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
