import type { Registry } from 'prom-client';
import { Ring } from './stats-ring';

/** One minute of the server's life, as GET /v1/stats/history shows it. */
export interface StatsSample {
  /** start of the minute (ms since the epoch) */
  start: number;
  /** calls offered and answered in that minute (counter deltas) */
  offered: number;
  answered: number;
  /** parked calls and conferences at the end of the minute (gauges); null where no such gauge is registered */
  parked: number | null;
  conferences: number | null;
  /** the minute under way: its counts so far */
  partial?: boolean;
}

/** The metric each field is read from (the names the registry has them under). */
export const HISTORY_METRICS = {
  offered: 'feature_server_calls_offered_total',
  answered: 'feature_server_calls_answered_total',
  parked: 'feature_server_parked_calls',
  conferences: 'feature_server_conferences',
} as const;

export interface StatsHistoryOptions {
  /** samples kept (default 60: the last hour) */
  capacity?: number;
  /** one sample per this many ms (default 60,000) */
  intervalMs?: number;
  now?: () => number;
}

/**
 * The last hour of the server's own metrics, one sample a minute, kept in memory (a
 * restart starts it afresh; each instance has its own). It reads the registry by metric
 * name, so a feature's gauge (parked calls) is read without lib/ knowing the feature: a
 * gauge that no feature registered is null.
 */
export class StatsHistory {
  private readonly ring: Ring<StatsSample>;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private start: number;
  private base = { offered: 0, answered: 0 };
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(private readonly registry: Registry, opts: StatsHistoryOptions = {}) {
    this.ring = new Ring(opts.capacity ?? 60);
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.start = this.minuteOf(this.now());
  }

  get capacity(): number {
    return this.ring.capacity;
  }

  get interval(): number {
    return this.intervalMs;
  }

  /** Takes the counters' values as the base of the first minute, then samples at each minute's end. */
  async begin(): Promise<void> {
    const counts = await this.counts();
    this.base = counts;
    this.start = this.minuteOf(this.now());
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Closes the minute under way into the ring and opens the next. */
  sample(): Promise<void> {
    const run = this.sampling.then(async () => {
      const { partial: _partial, ...closed } = await this.current();
      this.ring.push(closed);
      this.base = { offered: this.base.offered + closed.offered, answered: this.base.answered + closed.answered };
      this.start = Math.max(this.minuteOf(this.now()), closed.start + this.intervalMs);
    });
    // one failed read (a gauge's collect threw) loses that minute, not the ones after it
    this.sampling = run.catch(() => undefined);
    return run;
  }

  /** The closed minutes, oldest first, then the one under way (`partial`). */
  async history(): Promise<StatsSample[]> {
    await this.sampling;
    return [...this.ring.toArray(), await this.current()];
  }

  private async current(): Promise<StatsSample> {
    const counts = await this.counts();
    return {
      start: this.start,
      // a counter that went back (a registry reset) restarts the count rather than going negative
      offered: Math.max(0, counts.offered - this.base.offered),
      answered: Math.max(0, counts.answered - this.base.answered),
      parked: await this.read(HISTORY_METRICS.parked),
      conferences: await this.read(HISTORY_METRICS.conferences),
      partial: true,
    };
  }

  private async counts(): Promise<{ offered: number; answered: number }> {
    return { offered: (await this.read(HISTORY_METRICS.offered)) ?? 0, answered: (await this.read(HISTORY_METRICS.answered)) ?? 0 };
  }

  /** The sum of a metric's values (a gauge's collect runs first), or null where none is registered. */
  private async read(name: string): Promise<number | null> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return null;
    const { values } = await metric.get();
    return values.reduce((sum, v) => sum + v.value, 0);
  }

  private minuteOf(t: number): number {
    return t - (t % this.intervalMs);
  }

  /** The next sample at the end of the minute under way (wall clock), each re-armed after the last. */
  private schedule(): void {
    const wait = Math.max(1000, this.start + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.sample().catch(() => undefined).finally(() => {
        if (this.timer) this.schedule();
      });
    }, wait);
    this.timer.unref();
  }
}
