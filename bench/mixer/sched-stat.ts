import fs from 'node:fs';

/**
 * What the kernel says about CPU time the mixer wanted but did not get, for the mixer
 * bench: a late frame is the mixer's fault only if its thread was running.
 *
 * - steal: time the hypervisor gave a vCPU to someone else (/proc/stat, proc(5)).
 * - run-queue wait: time a thread was runnable but waiting for its core
 *   (/proc/<pid>/task/<tid>/schedstat, second field, Documentation/scheduler/sched-stats.rst).
 */

/** USER_HZ: the unit of /proc/stat times (100 on every Linux architecture Node supports). */
const USER_HZ = 100;

/** Seconds of steal so far on one core; NaN where /proc/stat has no such core. */
export function stealSeconds(core: number): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${core} `));
  if (!line) return NaN;
  // cpuN user nice system idle iowait irq softirq steal ...
  return Number(line.trim().split(/\s+/)[8]) / USER_HZ;
}

export interface ThreadSched {
  name: string;
  /** seconds on a CPU */
  cpuSeconds: number;
  /** seconds runnable but waiting for a CPU */
  waitSeconds: number;
}

/** Per thread of `pid`, by thread id; empty where schedstat is unavailable. */
export function threadSched(pid: number): Map<number, ThreadSched> {
  const out = new Map<number, ThreadSched>();
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      out.set(Number(tid), { name, cpuSeconds: run / 1e9, waitSeconds: wait / 1e9 });
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

/** The thread of `after` with the most CPU since `before`, and its CPU and wait over the interval. */
export function busiestThread(before: Map<number, ThreadSched>, after: Map<number, ThreadSched>): ThreadSched | undefined {
  let best: ThreadSched | undefined;
  for (const [tid, a] of after) {
    const b = before.get(tid) ?? { name: a.name, cpuSeconds: 0, waitSeconds: 0 };
    const d = { name: a.name, cpuSeconds: a.cpuSeconds - b.cpuSeconds, waitSeconds: a.waitSeconds - b.waitSeconds };
    if (!best || d.cpuSeconds > best.cpuSeconds) best = d;
  }
  return best;
}
