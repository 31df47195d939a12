import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort as anyFreePort } from '../test/support/ports';
import { cmdline, findServerChildren, udpDrops } from './calls/procs';
import { provisionUsers, redisKeys, serverLogTail, startFeatureServer, stopProcess, type FeatureServer } from './calls/server';
import { SharedNonce } from './presence/digest';
import { makePlan, presRules } from './presence/plan';
import { PresenceLoad, type PublishResult, type SubscribeReport } from './presence/presence-load';
import { cpuNow, cpuShare, memPoint, redisKeyGroups, type MemPoint } from './presence/server-stats';
import { UdpUa } from './presence/udp-ua';
import { eachLimited, xcapPut } from './presence/xcap';
import { percentile } from './proc-usage';

/**
 * npm run bench:presence -- presence (RFC 3856, RFC 3903) at 10,000 subscriptions on the
 * whole feature server (node dist/main.js with its own SIP engine, redis-server and
 * rtpengine children, on free ports of 127.0.0.1):
 *
 *  1. provision BENCH_PRESENTITIES presentities and BENCH_WATCHERS watchers over REST;
 *  2. each presentity allows its watchers by name in its pres-rules (RFC 5025), written
 *     over XCAP (RFC 4825) with HTTP digest on its SIP credentials;
 *  3. a raw UDP user agent (bench/presence/udp-ua.ts: a few sockets, each standing for
 *     BENCH_WATCHERS_PER_SOCKET phones) opens BENCH_PER subscriptions per presentity
 *     (SUBSCRIBE, 407, SUBSCRIBE with credentials, 200, NOTIFY active, 200), at most
 *     BENCH_SUB_RATE a second; the server's RSS and heap are read before, right after
 *     and BENCH_SETTLE_S after (past the 32 s transaction timers): memory per subscription;
 *  4. BENCH_PUBLISHES presentities publish one at a time, then as many others in bursts of
 *     BENCH_BURST: the time from the PUBLISH (the one answered 200) to the last of its
 *     watchers' NOTIFYs carrying it, p50/p99, and the CPU of each process;
 *  5. stop everything, print the summary.
 *
 * Environment: BENCH_PRESENTITIES (1000), BENCH_WATCHERS (1000), BENCH_PER (watchers per
 * presentity, 10), BENCH_PUBLISHES (200), BENCH_BURST (50), BENCH_SUB_RATE (SUBSCRIBEs/s,
 * 400), BENCH_SUB_WINDOW (unanswered at once, 200), BENCH_WATCHERS_PER_SOCKET (250),
 * BENCH_NOTIFY_WAIT_MS (a publication's NOTIFYs not in by then are missing, 10000),
 * BENCH_SETTLE_S (35), BENCH_MAX_S (the whole run is cut off after this, 900),
 * BENCH_KEEP=1 (keep the temp directory with the server log). The server takes its
 * subscription limits from the environment as always (SUBSCRIPTION_MAX_TOTAL, ...).
 */
const env = process.env;
const num = (name: string, dflt: number, min = 0): number => {
  const v = env[name] === undefined || env[name] === '' ? dflt : Number(env[name]);
  if (!Number.isFinite(v) || v < min) throw new Error(`${name}: not a number >= ${min}: ${env[name]}`);
  return v;
};
const PRESENTITIES = num('BENCH_PRESENTITIES', 1000, 1);
const WATCHERS = num('BENCH_WATCHERS', 1000, 1);
const PER = num('BENCH_PER', 10, 1);
const PUBLISHES = num('BENCH_PUBLISHES', 200);
const BURST = num('BENCH_BURST', 50, 1);
const SUB_RATE = num('BENCH_SUB_RATE', 400, 1);
const SUB_WINDOW = num('BENCH_SUB_WINDOW', 200, 1);
const PER_SOCKET = num('BENCH_WATCHERS_PER_SOCKET', 250, 1);
const NOTIFY_WAIT_MS = num('BENCH_NOTIFY_WAIT_MS', 10000, 100);
const SETTLE_S = num('BENCH_SETTLE_S', 35);
const MAX_S = num('BENCH_MAX_S', 900, 10);
const KEEP = env.BENCH_KEEP === '1';
const TENANT = '127.0.0.1';
/** Expires asked for: longer than any run, so no refresh is needed */
const EXPIRES = 3600;

const freePort = (): Promise<number> => anyFreePort('both', { ephemeral: true });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} MB` : 'n/a');
const ms = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'n/a');
const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : 'n/a');
const p = (xs: number[], q: number): number => percentile(xs, q);

interface PhaseResult {
  name: string;
  results: PublishResult[];
  seconds: number;
  cpu: Record<string, number>;
  /** per burst: from the first PUBLISH sent to the last NOTIFY of the burst (ms) */
  bursts: number[];
}

function cpuLine(cpu: Record<string, number>): string {
  return Object.entries(cpu).map(([k, v]) => `${k} ${pct(v)}`).join(', ');
}

function memLine(m: MemPoint): string {
  return `server RSS ${mb(m.rss.server)}, heap ${mb(m.heapUsed)} used / ${mb(m.heapTotal)}; engine RSS ${mb(m.rss.engine)}; ` +
    `redis RSS ${mb(m.rss.redis)}; subscriptions (server's gauge) ${m.subscriptions}`;
}

function publishLine(r: PhaseResult): string {
  const ok = r.results.filter((x) => Number.isFinite(x.latency));
  const lat = ok.map((x) => x.latency).sort((a, b) => a - b);
  const ans = r.results.map((x) => x.answer).sort((a, b) => a - b);
  const failed = r.results.filter((x) => x.status !== 200);
  const missing = r.results.reduce((a, x) => a + x.missing, 0);
  const notifies = r.results.reduce((a, x) => a + x.watchers - x.missing, 0);
  return `${r.results.length} PUBLISHes in ${r.seconds.toFixed(1)} s: ${failed.length} not 200` +
    `${failed.length ? ` (${[...new Set(failed.map((x) => x.status))].join(', ')})` : ''}, ${notifies} NOTIFYs, ${missing} missing; ` +
    `PUBLISH->last NOTIFY p50 ${ms(p(lat, 50))} p99 ${ms(p(lat, 99))} max ${ms(lat[lat.length - 1])}; PUBLISH->200 p50 ${ms(p(ans, 50))} p99 ${ms(p(ans, 99))}`;
}

async function publishPhase(name: string, load: PresenceLoad, pids: Record<string, number | undefined>, targets: number[], burst: number): Promise<PhaseResult> {
  const c0 = cpuNow(pids);
  const t0 = performance.now();
  const results: PublishResult[] = [];
  const bursts: number[] = [];
  for (let i = 0; i < targets.length; i += burst) {
    const group = targets.slice(i, i + burst);
    const b0 = performance.now();
    const rs = await Promise.all(group.map((t) => load.publish(t, NOTIFY_WAIT_MS)));
    results.push(...rs);
    if (burst > 1) bursts.push(performance.now() - b0);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { name, results, seconds, cpu: cpuShare(c0, cpuNow(pids), seconds), bursts };
}

async function main(): Promise<void> {
  if (PUBLISHES * 2 > PRESENTITIES) throw new Error(`BENCH_PUBLISHES (${PUBLISHES}) x 2 phases exceeds BENCH_PRESENTITIES (${PRESENTITIES})`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-presence-'));
  let server: FeatureServer | undefined;
  let ua: UdpUa | undefined;
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    // the server ends every subscription as it stops (a NOTIFY each): the UA still answers them
    await stopProcess(server?.child, 40000);
    await ua?.close();
    if (KEEP) console.log(`temp files kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  };
  const abort = (why: string, code: number): void => {
    console.log(why);
    void cleanup().then(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  const deadline = setTimeout(() => abort(`BENCH_MAX_S (${MAX_S} s) passed: stopped before the end`, 1), MAX_S * 1000);
  deadline.unref();

  const plan = makePlan(PRESENTITIES, WATCHERS, PER, `${process.pid}`);
  let subs: SubscribeReport | undefined;
  let before: MemPoint | undefined;
  let after: MemPoint | undefined;
  let settled: MemPoint | undefined;
  let subCpu: Record<string, number> | undefined;
  let extra: number | undefined;
  const phases: PhaseResult[] = [];
  let load: PresenceLoad | undefined;

  try {
    const [sipPort, httpPort] = [await freePort(), await freePort()];
    const token = `bench-${process.pid}-${Date.now().toString(36)}`;
    server = await startFeatureServer({ sipPort, httpPort, token, logFile: path.join(dir, 'server.log') });
    const procs = findServerChildren(server.child.pid ?? 0);
    const pids = { server: procs.server, engine: procs.engine, redis: procs.redis };
    console.log(`feature server pid ${procs.server} (SIP 127.0.0.1:${sipPort}, HTTP ${httpPort}): engine ${procs.engine ?? '?'}, ` +
      `redis-server ${procs.redis ?? '?'}, rtpengine ${procs.rtpengine ?? '?'}`);

    let t = Date.now();
    await provisionUsers(server, [...plan.presentities, ...plan.watchers]);
    console.log(`provisioned ${plan.presentities.length} presentities and ${plan.watchers.length} watchers in ${Date.now() - t} ms`);
    t = Date.now();
    await eachLimited(plan.presentities, 10, async (u, i) => {
      const docPath = `/xcap-root/pres-rules/users/sip:${u.user}@${TENANT}/index`;
      const r = await xcapPut(httpPort, u, docPath, presRules(plan.watchedBy[i].map((w) => `sip:${plan.watchers[w].user}@${TENANT}`)),
        'application/auth-policy+xml');
      if (r.status !== 200 && r.status !== 201) throw new Error(`PUT ${docPath}: ${r.status} ${r.body.slice(0, 300)}`);
    });
    console.log(`pres-rules written over XCAP (digest) for ${plan.presentities.length} presentities in ${Date.now() - t} ms, ` +
      `${PER} watchers allowed by name in each`);

    const sockets = Math.ceil(WATCHERS / PER_SOCKET);
    ua = new UdpUa({ host: '127.0.0.1', port: sipPort });
    await ua.open(sockets + 1, 4 * 1024 * 1024);
    const nonce = new SharedNonce();
    load = new PresenceLoad({ ua, nonce, plan, tenant: TENANT, server: { host: '127.0.0.1', port: sipPort },
      watchersPerSocket: PER_SOCKET, publishSocket: sockets, expires: EXPIRES });
    const uaPids = { ...pids, bench: process.pid };
    const drops0 = udpDrops(uaPids);

    before = await memPoint(pids, httpPort);
    console.log(`before the subscriptions: ${memLine(before)}`);
    const total = PRESENTITIES * PER;
    console.log(`subscribing: ${total} subscriptions (${plan.watches[0].length} per watcher, ${PER} per presentity) from ${sockets} sockets, ` +
      `at most ${SUB_RATE}/s and ${SUB_WINDOW} unanswered ...`);
    const c0 = cpuNow(pids);
    subs = await load.subscribeAll(SUB_RATE, SUB_WINDOW, 10000);
    subCpu = cpuShare(c0, cpuNow(pids), subs.ms / 1000);
    after = await memPoint(pids, httpPort);
    console.log(`  ${subs.established}/${subs.asked} established (2xx and an active NOTIFY) in ${(subs.ms / 1000).toFixed(1)} s ` +
      `(${(subs.asked / (subs.ms / 1000)).toFixed(0)}/s)` +
      `${Object.keys(subs.failures).length ? `; refused: ${Object.entries(subs.failures).map(([k, v]) => `${k} x${v}`).join(', ')}` : ''}` +
      `${subs.notActive ? `; ${subs.notActive} first NOTIFYs not active` : ''}; 407s drawn ${nonce.challenges}`);
    console.log(`  SUBSCRIBE(auth)->2xx p50 ${ms(p(subs.toAnswer, 50))} p99 ${ms(p(subs.toAnswer, 99))}; ` +
      `->first NOTIFY p50 ${ms(p(subs.toFirstNotify, 50))} p99 ${ms(p(subs.toFirstNotify, 99))}`);
    console.log(`  CPU while subscribing (1 core = 100%): ${cpuLine(subCpu)}`);
    console.log(`  right after: ${memLine(after)}`);
    if (SETTLE_S > 0) {
      await sleep(SETTLE_S * 1000);
      settled = await memPoint(pids, httpPort);
      console.log(`  ${SETTLE_S} s later: ${memLine(settled)}`);
    }
    // one past the plan: the server's answer at its subscription limits (SUBSCRIPTION_MAX_TOTAL, default 20,000)
    const spare = [PRESENTITIES - 1, 0].find((x) => !plan.watches[0].includes(x) && x >= 2 * PUBLISHES);
    if (spare !== undefined) {
      extra = await load.extra(0, spare).catch(() => 0);
      console.log(`  one more SUBSCRIBE (${plan.watchers[0].user} -> ${plan.presentities[spare].user}, subscription ${subs.asked + 1}): ` +
        `${extra || 'no answer'}${extra === 503 ? ' (the server\'s SUBSCRIPTION_MAX_TOTAL)' : ''}`);
    }
    const redisPort = procs.redis ? /:(\d+)/.exec(cmdline(procs.redis))?.[1] : undefined;
    console.log(`  redis keys: ${await redisKeys(procs.redis)}: ` +
      `${(await redisKeyGroups(redisPort)).map(([g, n]) => `${g}* ${n}`).join(', ')}`);

    const one = Array.from({ length: PUBLISHES }, (_, i) => i);
    const many = Array.from({ length: PUBLISHES }, (_, i) => PUBLISHES + i);
    if (PUBLISHES > 0) {
      console.log('');
      phases.push(await publishPhase('one at a time', load, pids, one, 1));
      console.log(`one at a time: ${publishLine(phases[0])}`);
      console.log(`  CPU (1 core = 100%): ${cpuLine(phases[0].cpu)}`);
      phases.push(await publishPhase(`bursts of ${BURST}`, load, pids, many, BURST));
      const b = phases[1].bursts.slice().sort((x, y) => x - y);
      console.log(`bursts of ${BURST}: ${publishLine(phases[1])}`);
      console.log(`  whole burst (first PUBLISH -> last NOTIFY of the burst): p50 ${ms(p(b, 50))}, max ${ms(b[b.length - 1])}; ` +
        `CPU (1 core = 100%): ${cpuLine(phases[1].cpu)}`);
    }
    const drops = udpDrops(uaPids);
    const dropped = Object.keys(drops).filter((k) => drops[k] - (drops0[k] ?? 0) > 0).map((k) => `${k} ${drops[k] - (drops0[k] ?? 0)}`);
    console.log(`UA: ${ua.stats.requestsIn} NOTIFYs in (${ua.stats.requestRetransmissionsIn} retransmitted by the server), ` +
      `${ua.stats.retransmissionsOut} requests retransmitted, ${ua.stats.timeouts} timed out; NOTIFY states ` +
      `${Object.entries(load.notifyStates).map(([k, v]) => `${k} ${v}`).join(', ')}` +
      `${dropped.length ? `; UDP datagrams dropped on full sockets: ${dropped.join(', ')}` : ''}`);
    const ended = load.terminations();
    if (Object.keys(ended).length) console.log(`subscriptions the server ended during the run: ${Object.entries(ended).map(([k, v]) => `${k} x${v}`).join(', ')}`);
    if (subs.established < subs.asked) {
      const tail = serverLogTail(server.logFile);
      if (tail.length) console.log(`server log (last warnings/errors):\n${tail.map((l) => `  ${l}`).join('\n')}`);
    }
  } finally {
    clearTimeout(deadline);
    await cleanup();
  }

  console.log('');
  console.log(`=== bench:presence summary (${os.cpus().length} cores; ${PRESENTITIES} presentities x ${PER} watchers = ` +
    `${PRESENTITIES * PER} subscriptions from ${WATCHERS} watchers) ===`);
  if (subs) {
    console.log(`subscriptions established: ${subs.established}/${subs.asked} at ${(subs.asked / (subs.ms / 1000)).toFixed(0)}/s; ` +
      `SUBSCRIBE->first NOTIFY p50 ${ms(p(subs.toFirstNotify, 50))} p99 ${ms(p(subs.toFirstNotify, 99))}; CPU ${subCpu ? cpuLine(subCpu) : 'n/a'}`);
    if (extra !== undefined) console.log(`subscription ${subs.asked + 1} (one past the plan): ${extra || 'no answer'}`);
  }
  if (before && after && subs && subs.established > 0) {
    const last = settled ?? after;
    const per = (k: 'server' | 'engine'): string => `${(((last.rss[k] - before!.rss[k]) * 1024) / subs!.established).toFixed(1)} KB`;
    console.log(`memory, before -> ${settled ? `${SETTLE_S} s after` : 'right after'} ${subs.established} subscriptions: ` +
      `server RSS ${mb(before.rss.server)} -> ${mb(last.rss.server)} (${per('server')}/subscription), ` +
      `heap used ${mb(before.heapUsed)} -> ${mb(last.heapUsed)} (${(((last.heapUsed - before.heapUsed) * 1024) / subs.established).toFixed(1)} KB/subscription); ` +
      `engine RSS ${mb(before.rss.engine)} -> ${mb(last.rss.engine)} (${per('engine')}/subscription)`);
  }
  for (const ph of phases) {
    const lat = ph.results.filter((x) => Number.isFinite(x.latency)).map((x) => x.latency).sort((a, b) => a - b);
    const missing = ph.results.reduce((a, x) => a + x.missing, 0);
    console.log(`PUBLISH -> last of its ${PER} NOTIFYs, ${ph.name}: p50 ${ms(p(lat, 50))}, p99 ${ms(p(lat, 99))} ` +
      `(${lat.length}/${ph.results.length} complete, ${missing} NOTIFYs missing); CPU ${cpuLine(ph.cpu)}`);
  }
  const complete = subs && subs.established === subs.asked && phases.every((ph) => ph.results.every((x) => x.status === 200 && x.missing === 0));
  if (!complete) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
