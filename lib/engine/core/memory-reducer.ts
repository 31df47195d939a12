import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Gives memory back after a burst (issue #13: RSS back near its baseline a minute after
 * a flood or fuzzing). V8 sizes its heap for the peak it has just seen and, once the
 * process goes quiet, may wait a long time before the full collection that would let it
 * return those pages; a process that is idle after a flood allocates too little to
 * trigger one. This samples the resident set periodically and, when it has grown by
 * `growthRatio` and by `minGrowthBytes` over the level measured after the last
 * collection, runs a full collection itself, at most once per `minIntervalMs`.
 *
 * The timer is unref'd: it never keeps a process alive. Clock, RSS reader, collector and
 * timers are injectable so a test can drive it without waiting.
 */
export interface MemoryReducerOptions {
  /** how often RSS is sampled (default 5 s) */
  sampleMs?: number;
  /** the least time between two collections (default 30 s) */
  minIntervalMs?: number;
  /** growth over the level after the last collection that triggers one, as a share (default 0.2) */
  growthRatio?: number;
  /** ... and in bytes, so a small process does not collect for a few MB (default 16 MB) */
  minGrowthBytes?: number;
  /**
   * collections after one that growth triggered, each `minIntervalMs` after the previous,
   * while RSS stays above the lowest level seen by the same margins (default 3): a burst's
   * garbage dies after the burst (a transaction lives 32 s past its last message, RFC 3261
   * 17.1.2.2 Timer F), when nothing grows any more to trigger a collection
   */
  followUps?: number;
  now?: () => number;
  rss?: () => number;
  gc?: () => void;
  timers?: { setInterval(f: () => void, ms: number): unknown; clearInterval(t: unknown): void };
  /** told about every collection (for a log line) */
  onCollect?: (e: { beforeBytes: number; afterBytes: number }) => void;
}

const MB = 1024 * 1024;

let exposedGc: (() => void) | undefined;

/**
 * The full collector without starting node with --expose-gc: the flag set at run time
 * takes effect for contexts created afterwards, and a new context's `gc` is the same
 * isolate-wide collection.
 */
export function exposeGc(): () => void {
  if (exposedGc) return exposedGc;
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') {
    exposedGc = existing;
    return existing;
  }
  v8.setFlagsFromString('--expose-gc');
  const fn: unknown = vm.runInNewContext('gc');
  if (typeof fn !== 'function') throw new Error('memory reducer: cannot obtain the garbage collector');
  exposedGc = fn as () => void;
  return exposedGc;
}

const defaultTimers = {
  setInterval: (f: () => void, ms: number): unknown => setInterval(f, ms).unref(),
  clearInterval: (t: unknown): void => clearInterval(t as NodeJS.Timeout),
};

export class MemoryReducer {
  private readonly now: () => number;
  private readonly rss: () => number;
  private readonly gc: () => void;
  private readonly timers: NonNullable<MemoryReducerOptions['timers']>;
  private timer: unknown;
  private level = 0;
  /** the lowest RSS seen: where a process that has let its burst go comes back to */
  private floor = 0;
  private followUpsLeft = 0;
  private lastCollection = -Infinity;
  private collectionCount = 0;

  constructor(private readonly opts: MemoryReducerOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.rss = opts.rss ?? ((): number => process.memoryUsage.rss());
    this.gc = opts.gc ?? exposeGc();
    this.timers = opts.timers ?? defaultTimers;
  }

  /** Collections run so far. */
  get collections(): number {
    return this.collectionCount;
  }

  start(): this {
    if (this.timer !== undefined) return this;
    this.level = this.rss();
    this.floor = this.level;
    this.timer = this.timers.setInterval(() => this.check(), this.opts.sampleMs ?? 5000);
    return this;
  }

  stop(): void {
    if (this.timer === undefined) return;
    this.timers.clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One sample: collect when RSS has grown enough over the level after the last collection,
   * or, after such a collection, while it stays that far above the lowest level seen (at
   * most `followUps` times); never twice within the minimum interval.
   */
  check(): void {
    const rss = this.rss();
    // a process that shrank on its own measures growth from where it went down to
    if (rss < this.level) this.level = rss;
    if (rss < this.floor) this.floor = rss;
    const grown = this.over(rss, this.level);
    const followUp = !grown && this.followUpsLeft > 0 && this.over(rss, this.floor);
    if (!grown && !followUp) return;
    const now = this.now();
    if (now - this.lastCollection < (this.opts.minIntervalMs ?? 30000)) return;
    this.lastCollection = now;
    this.gc();
    this.collectionCount++;
    this.followUpsLeft = grown ? (this.opts.followUps ?? 3) : this.followUpsLeft - 1;
    this.level = this.rss();
    this.opts.onCollect?.({ beforeBytes: rss, afterBytes: this.level });
  }

  /** Whether `rss` is above `base` by both the share and the bytes. */
  private over(rss: number, base: number): boolean {
    const growth = rss - base;
    return growth >= (this.opts.minGrowthBytes ?? 16 * MB) && growth >= base * (this.opts.growthRatio ?? 0.2);
  }
}
