/**
 * RFC 3903 4.1 / 5: when a publication's Expires runs out, the event state it contributed
 * is removed; RFC 3856 6.7 and RFC 6665 4.2.2: a change of the presentity's state is
 * NOTIFYed to every active watcher. No request marks that moment, so a timer must: one per
 * presentity, at the earliest expiry of the publications in the document its watchers were
 * last told (PidfCache's `validUntil`). When it fires the document is composed again and,
 * if it differs (the publication really went, and was not refreshed meanwhile, perhaps
 * through another instance), the watchers are told.
 *
 * Across instances, each instance keeps the timers for the documents it composed itself,
 * that is for the presentities its own watchers (direct or through lists) see: every
 * instance with watchers notifies them once, and an instance without any holds no timer.
 * The simpler-looking alternatives are not correct: a timer only at the instance that
 * stored the publication, told over the bus, is lost with that instance and goes stale
 * when a refresh lands on another one (refreshes are not announced: they change nothing
 * a watcher sees); a Redis sorted-set sweep needs polling and a claim per expiry for what
 * each instance already knows from the document it composed.
 *
 * Bounded: at most `maxTimers` presentities (the oldest armed is dropped first; its
 * watchers then hear of the expiry with the next change); a timer whose presentity has
 * no watcher left here when it fires is dropped without reading anything.
 */

export const DEFAULT_MAX_TIMERS = 20_000;
/** after the expiry, so that the publication is past its `expiresAt` on every reading of the clock */
export const EXPIRY_SLACK_MS = 20;
/** a failed re-composition (Redis) is tried again after this */
export const RETRY_MS = 1_000;

/** Runs `fn` after `ms`; returns what cancels it. */
export type Schedule = (fn: () => Promise<void>, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(() => void fn(), ms);
  t.unref();
  return () => clearTimeout(t);
};

export interface PublicationExpiryDeps {
  /** the presentity's document composed afresh (its composition arms the next timer through `composed`) */
  recompose(tenant: string, user: string): Promise<string>;
  /** whether anyone on this instance watches the presentity */
  watched(tenant: string, user: string): boolean;
  /** tell this instance's watchers that the presentity's state changed */
  changed(tenant: string, user: string): void;
  /** a re-composition failed */
  onError?(err: Error, tenant: string, user: string): void;
  maxTimers?: number;
  now?: () => number;
  schedule?: Schedule;
}

interface Timer {
  tenant: string;
  user: string;
  at: number;
  /** the document the watchers were last told */
  body: string;
  cancel(): void;
}

export class PublicationExpiry {
  private readonly timers = new Map<string, Timer>();
  private readonly max: number;
  private readonly now: () => number;
  private readonly schedule: Schedule;

  constructor(private readonly deps: PublicationExpiryDeps) {
    this.max = Math.max(1, deps.maxTimers ?? DEFAULT_MAX_TIMERS);
    this.now = deps.now ?? Date.now;
    this.schedule = deps.schedule ?? realSchedule;
  }

  get size(): number {
    return this.timers.size;
  }

  /**
   * The presentity's document was composed: `body`, true until `validUntil` (Infinity: no
   * publication expires, and any timer is cleared). Each composition replaces the last:
   * it is what the watchers are told from now on.
   */
  composed(tenant: string, user: string, body: string, validUntil: number): void {
    const key = `${tenant}~${user}`;
    const old = this.timers.get(key);
    if (old) {
      old.cancel();
      this.timers.delete(key);
    }
    if (!Number.isFinite(validUntil)) return;
    this.arm({ tenant, user, at: validUntil, body }, Math.max(0, validUntil - this.now()) + EXPIRY_SLACK_MS);
  }

  close(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  private arm(t: Omit<Timer, 'cancel'>, delayMs: number): void {
    const key = `${t.tenant}~${t.user}`;
    for (const oldest of this.timers.keys()) {
      if (this.timers.size < this.max) break;
      this.timers.get(oldest)?.cancel();
      this.timers.delete(oldest);
    }
    const timer: Timer = { ...t, cancel: () => undefined };
    timer.cancel = this.schedule(() => this.expire(key, timer), delayMs);
    this.timers.set(key, timer);
  }

  private async expire(key: string, t: Timer): Promise<void> {
    if (this.timers.get(key) !== t) return;
    this.timers.delete(key);
    if (!this.deps.watched(t.tenant, t.user)) return;
    let body: string;
    try {
      // arms the timer for the next expiry, if any publication is left
      body = await this.deps.recompose(t.tenant, t.user);
    } catch (err) {
      this.deps.onError?.(err instanceof Error ? err : new Error(String(err)), t.tenant, t.user);
      if (!this.timers.has(key)) this.arm(t, RETRY_MS);
      return;
    }
    // the same document: the publication was refreshed (or another took its place unchanged)
    if (body !== t.body) this.deps.changed(t.tenant, t.user);
  }
}
