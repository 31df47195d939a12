import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import winston from 'winston';
import { startRedis, type RedisProcess } from '../lib/store';
import { waitUdpBound } from '../test/support/ports';
import { provisionUsers, startRtpengine, type Rtpengine } from './calls/server';
import { commonArgs, errorExcerpt, failureKinds, killAllSipps, SCENARIOS, startSipp, statLast } from './calls/sipp';
import { startEdge, type Edge } from './scaleout/edge';
import { startInstance, type Instance } from './scaleout/instance';
import { printStep, printTable, printVerdict, spreadOf } from './scaleout/report';
import { freePort, registerThrough, runStep, type Load, type Phase, type Rig, type StepResult } from './scaleout/step';

/**
 * npm run bench:scaleout -- calls per second through the Kamailio edge (deploy/edge) for
 * one feature-server instance and for two sharing one Redis and one rtpengine, all on
 * 127.0.0.1:
 *
 *  1. start a redis-server, an rtpengine with a wide media range, two feature servers
 *     (node dist/main.js, each with its embedded SIP engine on its own port, INSTANCE_ID
 *     fs-a / fs-b, its own conference port range) and two edges: edge-1 dispatching to
 *     fs-a only, edge-2 over fs-a and fs-b (DS_ALG, below);
 *  2. provision callers c0001.. and callees b0001.. over REST, register every callee
 *     through edge-1 with the Contact of one sipp UAS (bench/scenarios/register.xml), and
 *     start that UAS;
 *  3. "one": step the call rate up through edge-1 (bench/scenarios/uac.xml: INVITE, 407,
 *     ACK, INVITE with credentials, 200, ACK, pause, BYE, 200) until a step has failures;
 *  4. "two": register the callees again, through edge-2 (the registrar sends calls to the
 *     proxy a REGISTER came through, and edge-1 would hand fs-b's calls back to fs-a), and
 *     step the rate up through edge-2 the same way;
 *  5. print every step (calls ok/failed, INVITE(auth)->200 p50/p99, CPU of each feature
 *     server, its engine, rtpengine, redis, Kamailio, the sipps), the highest rate held
 *     with zero failures for one instance and for two, their ratio, and the core count;
 *     then the same with INVITE(auth)->200 p99 within BENCH_MAX_P99_MS as well (a step
 *     whose calls all complete, but seconds late, has saturated the machine).
 *
 * Every process runs on the same cores: on a machine with few of them a second instance
 * competes for CPU with the first, with Kamailio, rtpengine and sipp, and cannot double
 * the rate. No RTP flows (rtpengine only allocates ports and rewrites SDP).
 *
 * Environment: BENCH_RATES (calls/s, default 100,200,300,400), BENCH_SECONDS (per step,
 * default 20), BENCH_CALL_MS (call duration, default 1000), BENCH_USERS (callers =
 * callees, default 200), BENCH_REG_RATE (REGISTERs/s, default 100), BENCH_RTP_PORTS
 * (rtpengine's media range, default 20000-31997), BENCH_DS_ALG (the edges' dispatcher
 * algorithm, deploy/edge's DS_ALG: 0 hash over Call-ID, the default here, or 4
 * round-robin, kamailio.cfg's default), BENCH_EDGE_SHM (Kamailio's shared memory, MB,
 * default 256), BENCH_MAX_P99_MS (the second verdict's bound on INVITE(auth)->200 p99,
 * default 1000), BENCH_KEEP=1 (keep the temp directory: logs, sipp statistics and error
 * files).
 *
 * Two settings of the edge differ from deploy/edge's defaults, so that the edge measures
 * the instances rather than itself:
 *  - DS_ALG 0: with round-robin, each call's two INVITEs (the one challenged with 407,
 *    then the one with credentials, a new transaction) go to alternate instances, so at
 *    a steady rate the challenges can all land on one instance and the calls on the
 *    other. The "up a/b" column shows how the calls were spread.
 *  - -m 256: with deploy/edge/README.md's -m 64, Kamailio runs out of shared memory at
 *    about 130 calls/s ("could not allocate shared memory from shm pool", then 500s).
 * BENCH_DS_ALG=4 BENCH_EDGE_SHM=64 measures the edge as deployed.
 */
const env = process.env;
const num = (name: string, dflt: number, min = Number.MIN_VALUE): number => {
  const v = env[name] === undefined || env[name] === '' ? dflt : Number(env[name]);
  if (!Number.isFinite(v) || v < min) throw new Error(`${name}: not a number >= ${min}: ${env[name]}`);
  return v;
};
const RATES = (env.BENCH_RATES || '100,200,300,400').split(',').map(Number);
if (RATES.some((r) => !(r > 0))) throw new Error(`BENCH_RATES: not a list of positive numbers: ${env.BENCH_RATES}`);
const LOAD: Load = { seconds: num('BENCH_SECONDS', 20), callMs: num('BENCH_CALL_MS', 1000), recvTimeoutMs: 20000 };
const USERS = num('BENCH_USERS', 200);
const REG_RATE = num('BENCH_REG_RATE', 100);
const [RTP_MIN, RTP_MAX] = (env.BENCH_RTP_PORTS || '20000-31997').split('-').map(Number);
const KEEP = env.BENCH_KEEP === '1';
/** a second verdict: a rate held with zero failures but a p99 past this is not one to run at */
const MAX_P99_MS = num('BENCH_MAX_P99_MS', 1000);
/** Kamailio's shared memory, MB (-m): its transactions, each kept 5 s after it ends, take ~0.45 MB per call/s */
const EDGE_SHM_MB = num('BENCH_EDGE_SHM', 256);
/** the edges' dispatcher algorithm (deploy/edge's DS_ALG, whose default is 4, round-robin): see above */
const DS_ALG = num('BENCH_DS_ALG', 0, 0);
/** the mixer is not used here, but two instances on one host must not share its range */
const CONFERENCE_PORTS: Array<[number, number]> = [[61000, 61999], [62000, 62999]];
/** the whole run, however it goes: every step with its margins, plus start-up and registrations */
const DEADLINE_MS = (RATES.length * 2 * (LOAD.seconds + LOAD.callMs / 1000 + 100) + 300) * 1000;

interface Running {
  redis?: RedisProcess;
  rtpengine?: Rtpengine;
  instances: Instance[];
  edges: Edge[];
}

async function stopAll(run: Running): Promise<void> {
  killAllSipps();
  await Promise.all(run.edges.map((e) => e.stop()));
  // they drain: no call should be left, so they exit at once (DRAIN_TIMEOUT caps it)
  await Promise.all(run.instances.map((i) => i.stop()));
  await run.rtpengine?.stop();
  await run.redis?.stop();
}

/** Prints the table and the verdicts; false if a phase held no rate. */
function summary(results: StepResult[], phases: Phase[], instances: string[]): boolean {
  const cpus = os.cpus();
  console.log('');
  console.log(`=== bench:scaleout summary: ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), everything on them; steps of ${LOAD.seconds}s, ` +
    `calls of ${LOAD.callMs} ms, ${USERS} callers -> ${USERS} callees, through Kamailio (-m ${EDGE_SHM_MB}, DS_ALG ${DS_ALG}) ===`);
  printTable(results, instances);
  console.log('');
  const names = phases.map((p) => ({ label: p.label, serving: p.serving.map((i) => i.name) }));
  const last = RATES[RATES.length - 1];
  const ok = printVerdict(results, names, last, { label: 'zero failures', held: (r) => r.ok });
  printVerdict(results, names, last, { label: `zero failures and INVITE(auth)->200 p99 <= ${MAX_P99_MS} ms`, held: (r) => r.ok && r.p99 <= MAX_P99_MS });
  // a dispatcher that does not spread the calls measures one instance twice
  const spread = results.filter((x) => x.phase === 'two' && x.ok).pop() ?? results.find((x) => x.phase === 'two');
  const counts = spread ? instances.map((i) => spread.spread[i] ?? 0) : [];
  const total = counts.reduce((a, b) => a + b, 0);
  if (spread && total > 0 && Math.max(...counts) / total > 0.75) {
    console.log(`NOTE: through the two-instance edge, ${spreadOf(spread, instances)} calls (${instances.join('/')}) were up half-way through ` +
      `the ${spread.rate}/s step: the calls were not spread over both instances (DS_ALG ${DS_ALG})`);
  }
  console.log(`(${cpus.length} cores shared by both instances, their engines, rtpengine, redis, Kamailio and sipp: see the "all" column)`);
  const most = (k: 'others' | 'steal'): number => Math.max(0, ...results.map((x) => x[k]).filter(Number.isFinite));
  if (most('others') > 0.2 || most('steal') > 0.2) {
    console.log(`WARNING: during a step, processes that are not this bench's used up to ${(most('others') * 100).toFixed(0)}% of a core and the ` +
      `hypervisor took up to ${(most('steal') * 100).toFixed(0)}% ("others", "steal"): these numbers are not those of an otherwise idle machine`);
  }
  return ok;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scaleout-'));
  const run: Running = { instances: [], edges: [] };
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> => {
    cleaned ??= stopAll(run).finally(() => {
      if (KEEP) console.log(`temp files kept in ${dir}`);
      else fs.rmSync(dir, { recursive: true, force: true });
    });
    return cleaned;
  };
  const abort = (why: string, code: number) => (): void => {
    console.error(why);
    void cleanup().then(() => process.exit(code));
  };
  process.once('SIGINT', abort('interrupted: stopping everything', 130));
  process.once('SIGTERM', abort('terminated: stopping everything', 143));
  const watchdog = setTimeout(abort(`bench:scaleout still running after ${DEADLINE_MS / 1000}s: stopping everything`, 1), DEADLINE_MS);

  const results: StepResult[] = [];
  const phases: Phase[] = [];
  let rig: Rig | undefined;
  let failure: unknown;
  try {
    console.log(`${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; rates ${RATES.join(', ')} calls/s, ${LOAD.seconds}s each, calls of ${LOAD.callMs} ms`);
    run.redis = await startRedis({ logger: winston.createLogger({ silent: true }) });
    run.rtpengine = await startRtpengine(RTP_MIN, RTP_MAX, await freePort(), path.join(dir, 'rtpengine.log'));
    const token = `bench-${process.pid}-${Date.now().toString(36)}`;
    for (const [n, name] of ['fs-a', 'fs-b'].entries()) {
      run.instances.push(await startInstance({
        name, sipPort: await freePort(), httpPort: await freePort(), token, logFile: path.join(dir, `${name}.log`),
        redisUrl: run.redis.url, rtpengineNg: `127.0.0.1:${run.rtpengine.ngPort}`, conferencePorts: CONFERENCE_PORTS[n],
      }));
    }
    const [a, b] = run.instances;
    for (const serving of [[a], [a, b]]) {
      const label = serving.length === 1 ? 'one' : 'two';
      const edge = await startEdge({ engines: serving.map((i) => i.sipPort), sipPort: await freePort(), shmMb: EDGE_SHM_MB, pkgMb: 8,
        defines: { DS_ALG }, logFile: path.join(dir, `kamailio-${label}.log`) });
      run.edges.push(edge);
      phases.push({ label, edge, serving });
    }
    for (const i of run.instances) console.log(`${i.name}: pid ${i.child.pid}, engine ${i.enginePid ?? '?'} on SIP 127.0.0.1:${i.sipPort}, HTTP ${i.httpPort}`);
    console.log(`redis-server ${run.redis.pid} (${run.redis.url}), rtpengine ${run.rtpengine.child.pid} (media ${RTP_MIN}-${RTP_MAX})`);
    for (const p of phases) console.log(`edge for "${p.label}": kamailio ${p.edge.pid} on 127.0.0.1:${p.edge.sipPort} -> ${p.serving.map((i) => i.name).join(', ')}`);

    const pad = (i: number): string => String(i + 1).padStart(4, '0');
    const callers = Array.from({ length: USERS }, (_, i) => ({ user: `c${pad(i)}`, password: `pw-c${pad(i)}-${token.slice(-6)}` }));
    const callees = Array.from({ length: USERS }, (_, i) => ({ user: `b${pad(i)}`, password: `pw-b${pad(i)}-${token.slice(-6)}` }));
    await provisionUsers(a, [...callers, ...callees]);
    const uasPort = await freePort();
    await registerThrough({ dir, uasPort }, phases[0].edge.sipPort, callees, REG_RATE, LOAD.recvTimeoutMs);
    console.log(`provisioned ${callers.length + callees.length} users; registered ${callees.length} callees through edge "one", Contact 127.0.0.1:${uasPort}`);
    const uas = startSipp(['-sf', path.join(SCENARIOS, 'uas.xml'), ...commonArgs(uasPort), '-trace_stat', '-stf', 'uas-stat.csv', '-fd', '1',
      '-trace_err', '-error_file', 'uas-errors.log'], dir, DEADLINE_MS);
    await waitUdpBound(uasPort);
    const callsCsv = path.join(dir, 'calls.csv');
    fs.writeFileSync(callsCsv, `SEQUENTIAL\n${callers.map((c) =>
      `${c.user};${c.password};${callees[0].user};[authentication username=${c.user} password=${c.password}]`).join('\n')}\n`);
    rig = { dir, instances: run.instances, rtpengine: run.rtpengine, redisPid: run.redis.pid, uas, uasPort, uacPort: await freePort(), callsCsv, callee: callees[0].user };

    for (const phase of phases) {
      console.log('');
      if (phase !== phases[0]) {
        await registerThrough(rig, phase.edge.sipPort, callees, REG_RATE, LOAD.recvTimeoutMs);
        console.log(`registered ${callees.length} callees again, through edge "${phase.label}"`);
      }
      for (const rate of RATES) {
        const r = await runStep(rig, phase, rate, LOAD);
        results.push(r);
        printStep(r, LOAD.seconds);
        if (!r.ok) break;
      }
    }
  } catch (err) {
    failure = err;
  } finally {
    clearTimeout(watchdog);
    const uasStats = rig ? statLast(path.join(dir, 'uas-stat.csv')) : undefined;
    if (uasStats && Number(uasStats['FailedCall(C)']) > 0) {
      console.log(`sipp UAS: ${uasStats['FailedCall(C)']} failed calls (${failureKinds(uasStats)})`);
      console.log(errorExcerpt(path.join(dir, 'uas-errors.log'), 800).split('\n').map((l) => `    ${l}`).join('\n'));
    }
    await cleanup();
  }
  // what ran is worth seeing even when a later part failed
  const held = results.length || !failure ? summary(results, phases, run.instances.map((i) => i.name)) : false;
  if (failure) throw failure;
  if (!held) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
