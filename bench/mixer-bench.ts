import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { LatenessSummary, MixerStats } from '../features/conference/mixer';
import { ChildLink } from './mixer/ipc';
import type { MemberPort } from './mixer/mixer-host';
import { usage } from './proc-usage';
import { busiestThread, stealSeconds, threadSched } from './mixer/sched-stat';

/**
 * npm run bench:mixer -- how many concurrent 3-member conference bridges one core mixes
 * with every frame on time. The mixer (its worker thread inside) runs in a child process
 * pinned to core 0 with taskset; a load generator process (pinned to core 1 when there is
 * one) plays every member: a 20 ms PCMU stream each (two tones and one speech-like noise
 * per bridge), counting the mixed packets that come back. Bridges are added step by step;
 * each step runs BENCH_STEP_S seconds after BENCH_WARMUP_S of warm-up, and prints:
 * late frames (a bridge's frame sent > BENCH_LATE_MS after its due time, or never sent
 * because its tick was skipped after a stall), p99 lateness (of the frames sent),
 * the mixer process's CPU (% of one core, all threads), CPU per bridge, its peak RSS.
 * Diagnostics: wake_p99 is how late the mixer's clock woke (before any mixing); canary
 * is an idle process waking every 20 ms on the same core: its late% is the machine's own
 * share (scheduler, virtualisation) of late frames; steal% is the time the hypervisor took
 * core 0 away from the VM, runqWait% the time the mixer's busiest thread (the worker) was
 * runnable but not running (both % of wall time). Loopback only; stops after the last
 * step, or after the first clearly overloaded one.
 *
 * Env: BENCH_BRIDGES=50,100,... (steps), BENCH_STEP_S=10, BENCH_WARMUP_S=2, BENCH_LATE_MS=5,
 * BENCH_PHASES (the mixer's phase slots, default the mixer's own: 10), BENCH_MIXER_NODE_ARGS (node
 * options for the mixer process alone, space separated: --trace-gc, --cpu-prof ...).
 */
const STEPS = (process.env.BENCH_BRIDGES ?? '50,100,150,200,250,300,350,400').split(',').map(Number);
const STEP_S = Number(process.env.BENCH_STEP_S ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 2);
const LATE_MS = Number(process.env.BENCH_LATE_MS ?? 5);
/** extra node options for the mixer process only (--trace-gc, --cpu-prof ...) */
const MIXER_NODE_ARGS = (process.env.BENCH_MIXER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
/** the on-time criterion: fewer than this share of frames late */
const ON_TIME = 0.001;
/** the keeps-up criterion: every tick mixed, this share of the expected packets back, CPU below this */
const KEEPS_UP_BACK = 0.999;
const KEEPS_UP_CPU = 90;
/** past this CPU, or with fewer packets back than this, the mixer is saturated: larger steps are skipped */
const SATURATED_CPU = 97;
const SATURATED_BACK = 0.95;

if (STEPS.some((n) => !Number.isInteger(n) || n <= 0) || !(STEP_S > 0) || !(WARMUP_S >= 0)) {
  console.error('BENCH_BRIDGES must be positive integers (comma separated), BENCH_STEP_S > 0, BENCH_WARMUP_S >= 0');
  process.exit(2);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const cores = os.availableParallelism();

function start(script: string, core: number | undefined, name: string, nodeArgs: string[] = []): ChildLink {
  const file = path.join(__dirname, 'mixer', script);
  const pinned = hasTaskset && core !== undefined && core < cores;
  const node = [process.execPath, ...nodeArgs, file];
  const [cmd, ...args] = pinned ? ['taskset', '-c', String(core), ...node] : node;
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, BENCH_LATE_MS: String(LATE_MS) } });
  return new ChildLink(child, name);
}

interface LoadStats {
  sent: number;
  received: number;
  lateTicks: number;
  ticks: number;
  callers: number;
}

async function main(): Promise<void> {
  const mixer = start('mixer-host.js', 0, 'mixer', MIXER_NODE_ARGS);
  const load = start('load-gen.js', cores > 1 ? 1 : undefined, 'load generator');
  const canary = start('canary.js', 0, 'canary');
  const mixerPid = mixer.child.pid!;
  const loadPid = load.child.pid!;
  console.log(`mixer process ${hasTaskset ? 'pinned to core 0 (taskset)' : 'NOT pinned (no taskset)'}; load generator ${hasTaskset && cores > 1 ? 'pinned to core 1' : 'not pinned'}; ${cores} cores`);
  console.log(`steps ${STEPS.join(',')} bridges x 3 members, ${WARMUP_S} s warm-up + ${STEP_S} s each; a frame is late if sent > ${LATE_MS} ms after due`);
  let bridges = 0;
  let best = 0;
  let keepsUp = 0;
  try {
    // The machine's own noise floor: the idle canary alone, before any load.
    await canary.request('stats', { reset: true });
    const idleSteal0 = stealSeconds(0);
    const idleS = Math.min(STEP_S, 5);
    await sleep(idleS * 1000);
    const floor = await canary.request<LatenessSummary>('stats', { reset: true });
    const idleSteal = (100 * (stealSeconds(0) - idleSteal0)) / idleS;
    console.log(`baseline, no load: an idle 20 ms timer on core 0 woke > ${LATE_MS} ms late ${floor.late}/${floor.frames} times (${((100 * floor.late) / Math.max(1, floor.frames)).toFixed(2)}%), p99 ${floor.p99Ms.toFixed(2)} ms, max ${floor.maxMs.toFixed(1)} ms; steal ${idleSteal.toFixed(1)}%`);
    console.log('bridges  frames    late   late%   p50ms  p99ms  maxms  wake_p99  skipped  mixCPU%  CPU/bridge%  RSS_MB  pkts_in  dropped  back/expect  loadCPU%  loadLate  canary_late%  steal%  runqWait%');
    for (const n of STEPS) {
      if (n > bridges) {
        const ports = await mixer.request<MemberPort[]>('add', { from: bridges, to: n });
        const remotes = await load.request<MemberPort[]>('add', ports);
        await mixer.request('remote', remotes);
        bridges = n;
      }
      await sleep(WARMUP_S * 1000);
      await mixer.request('stats', { reset: true });
      await load.request('stats', { reset: true });
      await canary.request('stats', { reset: true });
      const m0 = usage(mixerPid);
      const steal0 = stealSeconds(0);
      const threads0 = threadSched(mixerPid);
      const l0 = usage(loadPid);
      const t0 = performance.now();
      await sleep(STEP_S * 1000);
      const s = await mixer.request<MixerStats>('stats', { reset: true });
      const l = await load.request<LoadStats>('stats', { reset: true });
      const c = await canary.request<LatenessSummary>('stats', { reset: true });
      const secs = (performance.now() - t0) / 1000;
      const m1 = usage(mixerPid);
      const steal = (100 * (stealSeconds(0) - steal0)) / secs;
      const busiest = busiestThread(threads0, threadSched(mixerPid));
      const waitPct = busiest ? (100 * busiest.waitSeconds) / secs : NaN;
      const l1 = usage(loadPid);
      const cpu = (100 * (m1.cpuSeconds - m0.cpuSeconds)) / secs;
      const loadCpu = (100 * (l1.cpuSeconds - l0.cpuSeconds)) / secs;
      const lat = s.lateness;
      // a frame of a skipped tick was never sent: late, whatever the histogram of sent ones says
      const late = lat.late + s.framesSkipped;
      const frames = lat.frames + s.framesSkipped;
      const lateShare = frames ? late / frames : 1;
      const back = l.received / (bridges * 3 * (s.periodMs / 20));
      if (lateShare < ON_TIME) best = Math.max(best, bridges);
      if (s.ticksSkipped === 0 && back >= KEEPS_UP_BACK && cpu < KEEPS_UP_CPU) keepsUp = Math.max(keepsUp, bridges);
      console.log([
        String(bridges).padStart(7), String(frames).padStart(7), String(late).padStart(7), (100 * lateShare).toFixed(3).padStart(7),
        lat.p50Ms.toFixed(2).padStart(7), lat.p99Ms.toFixed(2).padStart(6), lat.maxMs.toFixed(1).padStart(6), s.wakeups.p99Ms.toFixed(2).padStart(9), String(s.ticksSkipped).padStart(8), cpu.toFixed(1).padStart(8),
        (cpu / bridges).toFixed(3).padStart(12), m1.peakRssMb.toFixed(0).padStart(7), String(s.packetsIn).padStart(8), String(s.packetsDropped).padStart(8),
        back.toFixed(3).padStart(12), loadCpu.toFixed(1).padStart(9), `${l.lateTicks}/${l.ticks}`.padStart(9),
        (c.frames ? (100 * c.late) / c.frames : 0).toFixed(2).padStart(13), steal.toFixed(1).padStart(7), waitPct.toFixed(1).padStart(9),
      ].join(' '));
      if (cpu > SATURATED_CPU || back < SATURATED_BACK) {
        console.log(`mixer saturated at ${bridges} bridges (CPU ${cpu.toFixed(0)}%, ${(100 * back).toFixed(1)}% of packets back): larger steps skipped`);
        break;
      }
    }
  } finally {
    await Promise.all([mixer.stop(), load.stop(), canary.stop()]);
  }
  console.log(best > 0
    ? `highest step with < ${100 * ON_TIME}% of frames late (> ${LATE_MS} ms): ${best} concurrent 3-member bridges on one core`
    : `no step had < ${100 * ON_TIME}% of frames late (> ${LATE_MS} ms)`);
  console.log(keepsUp > 0
    ? `highest step the mixer keeps up with (no tick skipped, >= ${100 * KEEPS_UP_BACK}% of packets back, CPU < ${KEEPS_UP_CPU}% of the core): ${keepsUp} bridges`
    : 'no step where the mixer kept up');
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
