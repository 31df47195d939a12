/**
 * A token bucket per source IP address for new requests (issue #13: one source's flood
 * must not crowd out everyone else's calls). Tokens refill at `rate` per second up to
 * `burst`; a request takes one. The table of buckets is bounded: a Map keeps insertion
 * order, a source is moved to the end when seen, and the oldest is dropped beyond
 * `maxSources` (a source that has been quiet long enough has a full bucket anyway, so
 * forgetting it changes nothing).
 */
export interface RateLimiterOptions {
  rate: number;
  burst: number;
  trusted: readonly string[];
  maxSources: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly trusted: Set<string>;
  private readonly now: () => number;

  constructor(private readonly opts: RateLimiterOptions) {
    this.trusted = new Set(opts.trusted);
    this.now = opts.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.opts.rate > 0;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** True when a new request from this source may proceed (and takes its token). */
  allow(source: string): boolean {
    if (!this.enabled || this.trusted.has(source)) return true;
    const now = this.now();
    const burst = Math.max(1, this.opts.burst);
    let b = this.buckets.get(source);
    if (b) {
      this.buckets.delete(source);
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * this.opts.rate);
      b.at = now;
    } else {
      b = { tokens: burst, at: now };
      if (this.buckets.size >= this.opts.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    this.buckets.set(source, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
