import { execFile } from 'node:child_process';
import { readProc } from '../calls/procs';

/** Unlabelled samples of the server's GET /metrics (Prometheus text); empty if it does not answer. */
export async function scrapeMetrics(httpPort: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    const r = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(10000) });
    if (r.status !== 200) return out;
    for (const line of (await r.text()).split('\n')) {
      if (line.startsWith('#') || line.includes('{')) continue;
      const sp = line.lastIndexOf(' ');
      if (sp > 0) out[line.slice(0, sp)] = Number(line.slice(sp + 1));
    }
  } catch {
    // no answer: nothing
  }
  return out;
}

export interface MemPoint {
  /** MB resident, per process name */
  rss: Record<string, number>;
  /** MB of the server's V8 heap in use and allocated (its /metrics, prom-client's default metrics) */
  heapUsed: number;
  heapTotal: number;
  /** the presence subscriptions the server counts (feature_server_presence_subscriptions) */
  subscriptions: number;
}

const MB = 1024 * 1024;

export async function memPoint(pids: Record<string, number | undefined>, httpPort: number): Promise<MemPoint> {
  const m = await scrapeMetrics(httpPort);
  const rss = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (pid ? readProc(pid)?.rssMb : undefined) ?? NaN]));
  return {
    rss, heapUsed: (m.nodejs_heap_size_used_bytes ?? NaN) / MB, heapTotal: (m.nodejs_heap_size_total_bytes ?? NaN) / MB,
    subscriptions: m.feature_server_presence_subscriptions ?? NaN,
  };
}

/** CPU seconds so far of each named process (NaN once gone). */
export function cpuNow(pids: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (pid ? readProc(pid)?.cpuSeconds : undefined) ?? NaN]));
}

/** CPU between two readings over `seconds` of wall time, as a share of one core per process. */
export function cpuShare(a: Record<string, number>, b: Record<string, number>, seconds: number): Record<string, number> {
  return Object.fromEntries(Object.keys(a).map((k) => [k, (b[k] - a[k]) / seconds]));
}

/**
 * Keys of the server's redis by their first colon-separated part (`user:`, `xcap:`,
 * `digestnc:`), the largest groups first; empty if redis-cli cannot reach it.
 */
export function redisKeyGroups(port: string | undefined, top = 8): Promise<Array<[string, number]>> {
  if (!port) return Promise.resolve([]);
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', port, '--scan'], { timeout: 10000, maxBuffer: 64 * 1024 * 1024 }, (err, out) => {
      if (err) return resolve([]);
      const groups = new Map<string, number>();
      for (const key of out.split('\n')) {
        if (!key) continue;
        const g = key.slice(0, key.indexOf(':') + 1) || key;
        groups.set(g, (groups.get(g) ?? 0) + 1);
      }
      resolve([...groups].sort((a, b) => b[1] - a[1]).slice(0, top));
    });
  });
}
