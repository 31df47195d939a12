/** Histogram bucket width and range: 0.25 ms steps up to 100 ms, then one overflow bucket. */
export const LATENESS_BUCKET_MS = 0.25;
const BUCKETS = 400;

export interface LatenessSummary {
  /** frames measured (one per bridge per 20 ms tick) */
  frames: number;
  /** frames sent more than `lateAfterMs` after they were due */
  late: number;
  lateAfterMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** [upper bound in ms, frames] for each non-empty bucket; the last bound may be Infinity (beyond 100 ms) */
  histogram: Array<[number, number]>;
}

/**
 * How late each bridge's frame left, relative to its due time on the drift-free clock:
 * the number that says whether the mixer keeps up. A fixed-bucket histogram, so recording
 * is one increment and a percentile is a walk over 400 counters.
 */
export class LatenessHistogram {
  private readonly counts = new Uint32Array(BUCKETS + 1);
  private frames = 0;
  private late = 0;
  private max = 0;

  constructor(readonly lateAfterMs: number) {}

  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const b = Math.floor(v / LATENESS_BUCKET_MS);
    this.counts[b < BUCKETS ? b : BUCKETS]++;
    this.frames++;
    if (v > this.lateAfterMs) this.late++;
    if (v > this.max) this.max = v;
  }

  reset(): void {
    this.counts.fill(0);
    this.frames = 0;
    this.late = 0;
    this.max = 0;
  }

  /** Upper bound (ms) of the bucket holding the p-th percentile; 0 with no frames. */
  percentile(p: number): number {
    if (this.frames === 0) return 0;
    const rank = Math.ceil((p / 100) * this.frames);
    let seen = 0;
    for (let b = 0; b <= BUCKETS; b++) {
      seen += this.counts[b];
      if (seen >= rank) return b < BUCKETS ? (b + 1) * LATENESS_BUCKET_MS : this.max;
    }
    return this.max;
  }

  summary(): LatenessSummary {
    const histogram: Array<[number, number]> = [];
    for (let b = 0; b <= BUCKETS; b++) {
      if (this.counts[b] > 0) histogram.push([b < BUCKETS ? (b + 1) * LATENESS_BUCKET_MS : Infinity, this.counts[b]]);
    }
    return {
      frames: this.frames,
      late: this.late,
      lateAfterMs: this.lateAfterMs,
      p50Ms: this.percentile(50),
      p99Ms: this.percentile(99),
      maxMs: this.max,
      histogram,
    };
  }
}
