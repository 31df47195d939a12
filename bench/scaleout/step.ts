import fs from 'node:fs';
import path from 'node:path';
import { freePort as anyFreePort } from '../../test/support/ports';
import { cpuBetween, cpuPeak, Sampler, udpDrops, type Sample } from '../calls/procs';
import { liveCalls, rtpengineCalls, type Rtpengine } from '../calls/server';
import { commonArgs, errorExcerpt, failureKinds, responseTimes, SCENARIOS, startSipp, statLast, type SippRun } from '../calls/sipp';
import { percentile } from '../proc-usage';
import type { Edge } from './edge';
import { callsByInstance, hangUpAll, type Instance } from './instance';
import { machineTimes, roots, sumGroups, treePids, type MachineTimes } from './process-groups';

/** ephemeral ports, clear of the bench rtpengine's media range */
export const freePort = (): Promise<number> => anyFreePort('both', { ephemeral: true });

/** What stays up for the whole bench. */
export interface Rig {
  dir: string;
  /** every feature-server instance, serving or not: all of them are in the CPU report */
  instances: Instance[];
  rtpengine: Rtpengine;
  redisPid: number;
  uas: SippRun;
  uasPort: number;
  uacPort: number;
  /** -inf of the UAC: caller;password;callee;[authentication ...] */
  callsCsv: string;
  /** the one user every call dials: sipp signs one fixed -auth_uri, and the digest uri must be the Request-URI */
  callee: string;
}

/** One side of the comparison: the edge the calls go through, dispatching over `serving`. */
export interface Phase {
  label: string;
  edge: Edge;
  serving: Instance[];
}

export interface Load {
  seconds: number;
  callMs: number;
  /** a call waiting this long for its next message has failed (sipp -recv_timeout) */
  recvTimeoutMs: number;
}

export interface StepResult {
  phase: string;
  rate: number;
  calls: number;
  ok: boolean;
  successful: number;
  failed: number;
  failures: string;
  retransmissions: number;
  p50: number;
  p99: number;
  /** fraction of one core, steady state: fs-a, engine-a, ..., rtpengine, redis, kamailio, sipp-uac, sipp-uas */
  cpu: Record<string, number>;
  /** the rest of the machine over the same time: CPU of processes that are not this bench's, and stolen by the hypervisor */
  others: number;
  steal: number;
  /** highest over 2 s */
  cpuPeak: Record<string, number>;
  /** datagrams dropped on each process's full UDP sockets during the step */
  drops: Record<string, number>;
  /** calls up half-way through the step, per owning instance */
  spread: Record<string, number>;
  /** after the step: calls the servers still list, calls rtpengine still holds, how many of the first the bench hung up */
  leftCalls: number;
  leftMedia: number;
  hungUp: number;
  /** warnings/errors the edge logged during the step, and the first few */
  edgeWarnings: number;
  edgeLog: string[];
  /** warning/error lines each instance logged during the step */
  serverLog: Record<string, string[]>;
  errors: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers every callee through `edgePort` with the UAS's port as Contact: the registrar keeps the edge as where to send calls. */
export async function registerThrough(rig: Pick<Rig, 'dir' | 'uasPort'>, edgePort: number, callees: Array<{ user: string; password: string }>,
  ratePerS: number, recvTimeoutMs: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(rig.dir, `register-${edgePort}-`));
  const csv = path.join(dir, 'callees.csv');
  fs.writeFileSync(csv, `SEQUENTIAL\n${callees.map((u) => `${u.user};${u.password};[authentication username=${u.user} password=${u.password}]`).join('\n')}\n`);
  const timeoutS = Math.ceil(callees.length / ratePerS) + 30;
  const reg = startSipp([`127.0.0.1:${edgePort}`, '-sf', path.join(SCENARIOS, 'register.xml'), '-inf', csv,
    ...commonArgs(await freePort()), '-set', 'contact_port', String(rig.uasPort), '-r', String(ratePerS), '-m', String(callees.length),
    '-l', String(Math.max(ratePerS * 2, 10)), '-timeout', `${timeoutS}s`, '-timeout_error', '-recv_timeout', String(recvTimeoutMs),
    '-trace_stat', '-stf', 'stat.csv', '-trace_err', '-error_file', 'errors.log'], dir, (timeoutS + 10) * 1000);
  const code = await reg.done;
  const stats = statLast(path.join(dir, 'stat.csv'));
  const ok = Number(stats?.['SuccessfulCall(C)'] ?? 0);
  if (ok !== callees.length) {
    throw new Error(`registrations through 127.0.0.1:${edgePort}: ${ok} of ${callees.length} succeeded (sipp exit ${code}; ${failureKinds(stats)})\n` +
      `${errorExcerpt(path.join(dir, 'errors.log'))}`);
  }
}

/** The processes whose CPU is reported, by name; the edge as a tree. */
function pidsOf(rig: Rig, phase: Phase, uac?: SippRun): Record<string, number | undefined> {
  const pids: Record<string, number | undefined> = {};
  for (const i of rig.instances) {
    pids[i.name] = i.child.pid;
    pids[`engine-${i.name}`] = i.enginePid;
  }
  return {
    ...pids, rtpengine: rig.rtpengine.child.pid, redis: rig.redisPid, ...treePids('kamailio', phase.edge.pid),
    'sipp-uac': uac?.child.pid, 'sipp-uas': rig.uas.child.pid,
  };
}

/** Lines of a log written since `offset` that are warnings or errors (JSON logs: "level":"warn"|"error"). */
function newWarnings(file: string, offset: number): string[] {
  try {
    const fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    fs.readSync(fd, buf, 0, buf.length, offset);
    fs.closeSync(fd);
    return buf.toString('utf8').split('\n').filter((l) => /"level":"(warn|error)"/.test(l));
  } catch {
    return [];
  }
}

const size = (file: string): number => {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
};

/** Over cpuBetween's window: the machine's busy CPU less what the bench's processes used, and the hypervisor's steal. */
function machineShares(samples: Sample<{ machine: MachineTimes }>[], from: number, to: number, ours: Record<string, number>): { others: number; steal: number } {
  const a = samples.find((s) => s.t >= from) ?? samples[0];
  const b = [...samples].reverse().find((s) => s.t <= to) ?? samples[samples.length - 1];
  const rate = (k: keyof MachineTimes): number => (b.t > a.t ? (b.extra.machine[k] - a.extra.machine[k]) / (b.t - a.t) : NaN);
  // sampled at slightly different instants: a few % below zero is noise
  return { others: Math.max(0, rate('busy') - Object.values(ours).filter(Number.isFinite).reduce((x, y) => x + y, 0)), steal: rate('steal') };
}

/** `rate` calls/s for `load.seconds` through the phase's edge, with the process readings of the steady state. */
export async function runStep(rig: Rig, phase: Phase, rate: number, load: Load): Promise<StepResult> {
  const dir = fs.mkdtempSync(path.join(rig.dir, `step-${phase.label}-${rate}-`));
  const calls = Math.round(rate * load.seconds);
  const startedAt = Date.now();
  const edgeMark = phase.edge.warningCount();
  const logMarks = Object.fromEntries(rig.instances.map((i) => [i.name, size(i.logFile)]));
  const timeoutS = load.seconds + load.callMs / 1000 + 60;
  const uac = startSipp([`127.0.0.1:${phase.edge.sipPort}`, '-sf', path.join(SCENARIOS, 'uac.xml'), '-inf', rig.callsCsv,
    ...commonArgs(rig.uacPort), '-auth_uri', `${rig.callee}@127.0.0.1:${phase.edge.sipPort}`, '-r', String(rate), '-m', String(calls), '-l', String(Math.max(rate * 10, 100)), '-d', String(load.callMs),
    '-timeout', `${Math.ceil(timeoutS)}s`, '-timeout_error', '-recv_timeout', String(load.recvTimeoutMs),
    '-trace_stat', '-stf', 'stat.csv', '-fd', '1s', '-trace_rtt', '-rtt_freq', '1', '-trace_err', '-error_file', 'errors.log'],
  dir, (timeoutS + 30) * 1000);
  const pids = pidsOf(rig, phase, uac);
  const dropPids = roots(pids);
  const drops0 = udpDrops(dropPids);
  // the UAC's sockets are gone once it exits: its count is taken at the last sample
  const sampler = new Sampler(pids, () => ({ drops: udpDrops(dropPids), machine: machineTimes() })).start(500);
  const spread = sleep(load.seconds * 500).then(() => callsByInstance(rig.instances[0], startedAt));
  await uac.done;
  const samples = sampler.stop();
  const drops1 = { ...samples.map((s) => s.extra.drops).reverse().find((d) => d['sipp-uac'] !== undefined), ...udpDrops(dropPids) };
  const drops = Object.fromEntries(Object.keys(drops0).map((k) => [k, (drops1[k] ?? drops0[k]) - drops0[k]]));
  const stats = statLast(path.join(dir, 'stat.csv'));
  const rtts = responseTimes(dir);
  const successful = Number(stats?.['SuccessfulCall(C)'] ?? 0);
  const failed = Number(stats?.['FailedCall(C)'] ?? 0);
  // every call has ended at sipp; give the servers a moment to finish theirs
  let left = await liveCalls(rig.instances[0]);
  for (const end = Date.now() + 10000; left !== 0 && Date.now() < end; left = await liveCalls(rig.instances[0])) await sleep(250);
  const leftMedia = await rtpengineCalls(rig.rtpengine.ngPort);
  const hungUp = left > 0 ? await hangUpAll(rig.instances) : 0;
  const ok = failed === 0 && successful === calls;
  // steady state: from when the first calls end until the last call was placed
  const [from, to] = [load.callMs / 1000 + 1, load.seconds];
  const cpu = sumGroups(cpuBetween(samples, from, to));
  return {
    phase: phase.label, rate, calls, ok, successful, failed, failures: failureKinds(stats),
    retransmissions: Number(stats?.['Retransmissions(C)'] ?? NaN),
    p50: percentile(rtts, 50), p99: percentile(rtts, 99),
    cpu, ...machineShares(samples, from, to, cpu),
    cpuPeak: sumGroups(cpuPeak(samples, 2)),
    drops, spread: await spread,
    leftCalls: left, leftMedia, hungUp,
    edgeWarnings: phase.edge.warningCount() - edgeMark, edgeLog: phase.edge.warnings.slice(edgeMark, edgeMark + 3),
    serverLog: Object.fromEntries(rig.instances.map((i) => [i.name, newWarnings(i.logFile, logMarks[i.name])])),
    errors: ok ? '' : errorExcerpt(path.join(dir, 'errors.log')),
  };
}
