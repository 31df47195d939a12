import fs from 'node:fs';
import { childrenOf } from '../calls/procs';

/**
 * Kamailio is a tree of processes (the main one forks SIP workers, timers, the ctl and
 * dispatcher-probing processes): its CPU is the sum over the tree. The Sampler of
 * bench/calls/procs.ts reads one pid per name, so a tree goes in as `name` (the root)
 * and `name#<pid>` (each descendant), and `sumGroups` folds them back into `name`.
 */
export function treePids(name: string, root: number | undefined): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = { [name]: root };
  const queue = root ? childrenOf(root) : [];
  while (queue.length) {
    const pid = queue.shift() as number;
    out[`${name}#${pid}`] = pid;
    queue.push(...childrenOf(pid));
  }
  return out;
}

/** Adds up `name#<pid>` entries into `name`; NaN members (a process gone) are skipped. */
export function sumGroups(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(values)) {
    const name = key.split('#')[0];
    if (!(name in out)) out[name] = NaN;
    if (Number.isFinite(v)) out[name] = (Number.isFinite(out[name]) ? out[name] : 0) + v;
  }
  return out;
}

/** Only the roots: for counters a whole tree shares (sockets opened before the fork). */
export function roots(pids: Record<string, number | undefined>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(pids).filter(([k]) => !k.includes('#')));
}

/** CPU seconds the whole machine has spent so far (every core: /proc/stat). */
export interface MachineTimes {
  /** in processes, user and system: everything a process is charged for */
  busy: number;
  /** taken by the hypervisor for other guests while this one wanted to run */
  steal: number;
}

/**
 * To tell how much CPU went to processes that are not this bench's, and how much the
 * hypervisor took (on a shared VM, the noise behind a slow step); NaN without /proc.
 * Interrupt time is left out: it is mostly this bench's own loopback packets, which no
 * process is charged for.
 */
export function machineTimes(): MachineTimes {
  try {
    const cols = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , , , steal] = cols;
    return { busy: (user + nice + system) / 100, steal: (steal ?? 0) / 100 }; // USER_HZ
  } catch {
    return { busy: NaN, steal: NaN };
  }
}
