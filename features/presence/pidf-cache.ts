/**
 * The composed PIDF of each presentity, built once per change rather than once per
 * watcher: a PUBLISH to a user with a thousand watchers reads Redis and composes the
 * document (RFC 3903 4) once, and every NOTIFY carries the same bytes.
 *
 * An entry lives until the presentity changes (invalidate: a PUBLISH, a call, on any
 * instance through the bus), until its earliest publication expires (the state without it
 * is another document, RFC 3903 5), and never longer than MAX_AGE_MS, so a change this
 * instance did not hear of (the bus was down) shows within that time. Concurrent readers
 * share one load; a load that an invalidation overtook is handed to its readers but not
 * kept. At most `maxEntries` presentities are kept, the least recently loaded go first.
 */

export interface ComposedPidf {
  body: string;
  /** when the document stops being true by itself (the earliest publication's expiry); Infinity: never */
  validUntil: number;
}

export const MAX_AGE_MS = 30_000;
export const DEFAULT_MAX_ENTRIES = 10_000;

interface Entry {
  value: Promise<ComposedPidf>;
  /** known once loaded */
  expiresAt?: number;
  /** an invalidation came while it loaded: what it read is already old */
  overtaken?: boolean;
}

export interface PidfCacheOptions {
  maxEntries?: number;
  now?: () => number;
  /**
   * A document was composed and no change overtook its load: it is what watchers are
   * told now, true until `doc.validUntil` (publication-expiry.ts arms its timer on it).
   */
  onComposed?(tenant: string, user: string, doc: ComposedPidf): void;
}

export class PidfCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly onComposed?: PidfCacheOptions['onComposed'];
  private loads = 0;

  constructor(private readonly load: (tenant: string, user: string) => Promise<ComposedPidf>, opts: PidfCacheOptions = {}) {
    this.maxEntries = Math.max(1, opts.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.now = opts.now ?? Date.now;
    this.onComposed = opts.onComposed;
  }

  /** documents composed so far (a test and a metric see how many NOTIFYs shared one) */
  get composed(): number {
    return this.loads;
  }

  get size(): number {
    return this.entries.size;
  }

  async get(tenant: string, user: string): Promise<string> {
    const key = `${tenant}~${user}`;
    const hit = this.entries.get(key);
    if (hit && (hit.expiresAt === undefined || hit.expiresAt > this.now())) return (await hit.value).body;
    if (hit) this.entries.delete(key);
    const entry: Entry = { value: this.load(tenant, user) };
    this.loads++;
    this.entries.set(key, entry);
    for (const old of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(old);
    }
    try {
      const doc = await entry.value;
      entry.expiresAt = Math.min(doc.validUntil, this.now() + MAX_AGE_MS);
      if (!entry.overtaken) this.onComposed?.(tenant, user, doc);
      return doc.body;
    } catch (err) {
      // a failed read (Redis) is not remembered: the next reader tries again
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }

  /** The presentity changed: the next reader composes afresh (a load under way is not kept). */
  invalidate(tenant: string, user: string): void {
    const key = `${tenant}~${user}`;
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt === undefined) entry.overtaken = true;
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
