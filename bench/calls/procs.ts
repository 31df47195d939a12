import dgram from 'node:dgram';
import fs from 'node:fs';

/** One reading of a process from /proc: CPU seconds so far (user+system), resident memory now and at its peak. */
export interface ProcReading {
  cpuSeconds: number;
  rssMb: number;
  hwmMb: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux we run on

/** null once the process is gone. */
export function readProc(pid: number): ProcReading | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    return { cpuSeconds: ticks / TICKS_PER_SECOND, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Direct children of a process, from /proc/<pid>/task/<tid>/children. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** The feature server's process and the children it supervises. */
export interface ServerProcs {
  server: number;
  engine?: number;
  redis?: number;
  rtpengine?: number;
}

export function findServerChildren(server: number): ServerProcs {
  const procs: ServerProcs = { server };
  for (const pid of childrenOf(server)) {
    const cmd = cmdline(pid);
    if (/engine\/cli\.js|sip-engine/.test(cmd)) procs.engine = pid;
    else if (/redis-server/.test(cmd)) procs.redis = pid;
    else if (/rtpengine/.test(cmd)) procs.rtpengine = pid;
  }
  return procs;
}

/** Bind a UDP port exclusively and keep it (a lock other runs of this bench see); null if taken. */
export function holdUdpPort(port: number): Promise<dgram.Socket | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind({ port, address: '127.0.0.1', exclusive: true }, () => {
      s.unref();
      resolve(s);
    });
  });
}

/** Periodic readings of named processes (and of anything else worth knowing at the same instant). */
export interface Sample<X> {
  t: number;
  procs: Record<string, ProcReading | null>;
  extra: X;
}

export class Sampler<X> {
  readonly samples: Sample<X>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly t0 = Date.now();

  constructor(private readonly pids: Record<string, number | undefined>, private readonly extra: () => X) {}

  start(intervalMs: number): this {
    this.take();
    this.timer = setInterval(() => this.take(), intervalMs);
    return this;
  }

  stop(): Sample<X>[] {
    clearInterval(this.timer);
    this.take();
    return this.samples;
  }

  private take(): void {
    const procs: Record<string, ProcReading | null> = {};
    for (const [name, pid] of Object.entries(this.pids)) procs[name] = pid ? readProc(pid) : null;
    this.samples.push({ t: (Date.now() - this.t0) / 1000, procs, extra: this.extra() });
  }
}

/**
 * CPU of each process as a fraction of one core between two instants of a run: the first
 * sample at or after `from` seconds and the last at or before `to` (the steady state,
 * leaving out ramp-up and the last calls' tail).
 */
export function cpuBetween<X>(samples: Sample<X>[], from: number, to: number): Record<string, number> {
  const a = samples.find((s) => s.t >= from) ?? samples[0];
  const b = [...samples].reverse().find((s) => s.t <= to) ?? samples[samples.length - 1];
  const out: Record<string, number> = {};
  for (const name of Object.keys(a.procs)) {
    const x = a.procs[name];
    const y = b.procs[name];
    out[name] = x && y && b.t > a.t ? (y.cpuSeconds - x.cpuSeconds) / (b.t - a.t) : NaN;
  }
  return out;
}

/** Highest CPU of each process over any `windowS`-second stretch of the samples (a saturated core shows here, not in the mean). */
export function cpuPeak<X>(samples: Sample<X>[], windowS: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(samples[0]?.procs ?? {})) {
    let best = NaN;
    for (let i = 0, j = 0; i < samples.length; i++) {
      while (j < samples.length && samples[j].t - samples[i].t < windowS) j++;
      if (j >= samples.length) break;
      const x = samples[i].procs[name];
      const y = samples[j].procs[name];
      if (!x || !y) continue;
      const v = (y.cpuSeconds - x.cpuSeconds) / (samples[j].t - samples[i].t);
      if (!(v <= best)) best = v;
    }
    out[name] = best;
  }
  return out;
}

/**
 * Datagrams the kernel dropped because a process's UDP sockets were full (the `drops`
 * column of /proc/net/udp, summed over the sockets the process holds): a process that
 * falls behind loses SIP messages or ng replies this way, and they come back as
 * retransmissions or timeouts.
 */
export function udpDrops(pids: Record<string, number | undefined>): Record<string, number> {
  const byInode = new Map<string, number>();
  try {
    for (const line of fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 12) byInode.set(cols[9], Number(cols[12]));
    }
  } catch {
    // no /proc/net/udp
  }
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    if (!pid) continue;
    let drops = 0;
    try {
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' }));
        if (m) drops += byInode.get(m[1]) ?? 0;
      }
      out[name] = drops;
    } catch {
      // gone
    }
  }
  return out;
}
