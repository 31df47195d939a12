/**
 * Bounds on event subscriptions (RFC 6665) so that no subscriber, however many
 * SUBSCRIBEs it sends with valid credentials, can make a notifier hold or send more than
 * a fixed amount (issue #13: fuzzed dialog-event SUBSCRIBEs that authenticated piled up
 * subscriptions, and every change NOTIFYed all of them).
 */
export interface SubscriptionLimits {
  /** active subscriptions one subscriber (tenant and user) may hold at one notifier */
  maxPerSubscriber: number;
  /** active subscriptions to one resource (a user's lamp, a park slot) */
  maxPerResource: number;
  /** active subscriptions at one notifier in all */
  maxTotal: number;
  /** the shortest Expires granted; a shorter non-zero ask gets 423 (RFC 6665 4.2.1.1) */
  minExpires: number;
  /** the longest Expires granted; a longer ask is shortened to it (RFC 6665 4.2.1.1) */
  maxExpires: number;
  /** least time between two NOTIFYs of one subscription (RFC 6665 4.2.2, RFC 6446 rate control) */
  notifyIntervalMs: number;
  /** most dialog elements in one dialog-info document (RFC 4235 4) */
  maxDialogs: number;
  /**
   * a subscriber with a NOTIFY unanswered this long is not answering: no new subscription
   * or fetch for it until it answers (each NOTIFY over UDP is sent up to 11 times, RFC 3261 17.1.2.2)
   */
  unansweredNotifyMs: number;
  /** after a NOTIFY to a subscriber timed out (408) or could not be sent, how long it gets no new subscription or fetch */
  unresponsiveHoldMs: number;
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = {
  // a phone with BLF expansion modules watches up to about 200 lines
  maxPerSubscriber: 200,
  maxPerResource: 100,
  // about 10-14 KB of server memory each (bench:presence): 20,000 stay near 300 MB
  maxTotal: 20000,
  // RFC 6665 sets no minimum; 1 keeps every phone working, an operator may raise it
  minExpires: 1,
  maxExpires: 3600,
  notifyIntervalMs: 1000,
  maxDialogs: 16,
  // Timer E has then sent it three times (0, 0.5, 1.5 s); a phone answers in milliseconds
  unansweredNotifyMs: 2000,
  unresponsiveHoldMs: 60000,
};

/** What a SUBSCRIBE's Expires asks for, against the limits (RFC 6665 4.2.1.1). */
export type ExpiresGrant =
  | { kind: 'grant'; expires: number }
  /** a non-zero ask under the minimum: 423 Interval Too Brief with Min-Expires */
  | { kind: 'too-brief'; minExpires: number };

/**
 * RFC 6665 4.2.1.1: the notifier may shorten the duration but never lengthen it; a
 * duration it cannot take because it is too short gets 423. No Expires (or one that is
 * no number) means the package default, here the maximum (RFC 6665 4.1.2.1). Zero is a
 * fetch (RFC 6665 4.2.1.4 / 3.3.6 of RFC 3265): granted as zero.
 */
export function grantExpires(header: string | undefined, limits: Pick<SubscriptionLimits, 'minExpires' | 'maxExpires'>): ExpiresGrant {
  const text = (header ?? '').trim();
  // delta-seconds (RFC 3261 25.1: 1*DIGIT); at most 10 digits are looked at
  let asked = limits.maxExpires;
  if (text.length > 0 && text.length <= 10 && [...text].every((c) => c >= '0' && c <= '9')) asked = Number(text);
  if (asked === 0) return { kind: 'grant', expires: 0 };
  if (asked < limits.minExpires) return { kind: 'too-brief', minExpires: limits.minExpires };
  return { kind: 'grant', expires: Math.min(asked, limits.maxExpires) };
}

/** Why a new subscription was refused. */
export type BudgetRefusal = 'total' | 'subscriber' | 'resource';

/**
 * The count of active subscriptions per subscriber, per resource and in all. `take`
 * either reserves one (and returns a release function that is safe to call twice) or
 * says which cap it would pass.
 */
export class SubscriptionBudget {
  private readonly bySubscriber = new Map<string, number>();
  private readonly byResource = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: Pick<SubscriptionLimits, 'maxPerSubscriber' | 'maxPerResource' | 'maxTotal'>) {}

  get size(): number {
    return this.total;
  }

  take(subscriber: string, resource: string): { release: () => void } | { refused: BudgetRefusal } {
    if (this.total >= this.limits.maxTotal) return { refused: 'total' };
    if ((this.bySubscriber.get(subscriber) ?? 0) >= this.limits.maxPerSubscriber) return { refused: 'subscriber' };
    if ((this.byResource.get(resource) ?? 0) >= this.limits.maxPerResource) return { refused: 'resource' };
    this.total++;
    bump(this.bySubscriber, subscriber, 1);
    bump(this.byResource, resource, 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        bump(this.bySubscriber, subscriber, -1);
        bump(this.byResource, resource, -1);
      },
    };
  }
}

/** Adds `by` to a count, deleting it at zero so the maps hold only live keys. */
function bump(m: Map<string, number>, key: string, by: number): void {
  const n = (m.get(key) ?? 0) + by;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}

/** How a NOTIFY ended, as far as the subscriber's responsiveness goes. */
export type NotifyOutcome = 'answered' | 'timeout';

/**
 * Whether a subscriber answers its NOTIFYs, so that a subscriber that does not cannot make
 * the notifier an amplifier (issue #13: authenticated fuzzed SUBSCRIBEs from sockets that
 * never answer drew ~63,000 NOTIFY datagrams, since every subscription's first NOTIFY is
 * retransmitted by Timer E until Timer F fires, RFC 3261 17.1.2.2). RFC 6665 4.2.2 ends a
 * subscription whose NOTIFY times out; this carries that to the subscriber: while one of
 * its NOTIFYs is unanswered past `unansweredNotifyMs`, and for `unresponsiveHoldMs` after
 * one timed out, it gets no new subscription (RFC 6665 4.2.1.2 leaves acceptance to the
 * notifier's policy). A subscriber's NOTIFYs in flight are bounded by the caller (one per
 * subscription, and fetches refused past `maxInFlight`), so this holds bounded state.
 */
export class NotifyResponsiveness {
  private readonly inFlight = new Map<string, Map<number, number>>();
  private readonly heldUntil = new Map<string, number>();
  private nextId = 0;
  private readonly now: () => number;

  constructor(private readonly limits: Pick<SubscriptionLimits, 'unansweredNotifyMs' | 'unresponsiveHoldMs'> & { maxInFlight: number },
    now?: () => number) {
    this.now = now ?? Date.now;
  }

  /** Subscribers with a NOTIFY in flight or held back (for tests and metrics). */
  get tracked(): number {
    return new Set([...this.inFlight.keys(), ...this.heldUntil.keys()]).size;
  }

  /**
   * Seconds the subscriber should wait before it subscribes again (a Retry-After), or 0 when
   * it may subscribe now.
   */
  retryAfter(subscriber: string): number {
    const now = this.now();
    const until = this.heldUntil.get(subscriber);
    if (until !== undefined) {
      if (until > now) return Math.ceil((until - now) / 1000);
      this.heldUntil.delete(subscriber);
    }
    const pending = this.inFlight.get(subscriber);
    if (!pending) return 0;
    if (pending.size >= this.limits.maxInFlight) return Math.ceil(this.limits.unresponsiveHoldMs / 1000);
    // insertion order: the first entry is the oldest NOTIFY still unanswered
    const oldest = pending.values().next().value as number;
    return now - oldest >= this.limits.unansweredNotifyMs ? Math.ceil(this.limits.unresponsiveHoldMs / 1000) : 0;
  }

  /** A NOTIFY to the subscriber went out; call the result once with how it ended. */
  sent(subscriber: string): (outcome: NotifyOutcome) => void {
    const id = this.nextId++;
    let pending = this.inFlight.get(subscriber);
    if (!pending) this.inFlight.set(subscriber, (pending = new Map()));
    pending.set(id, this.now());
    let done = false;
    return (outcome) => {
      if (done) return;
      done = true;
      const p = this.inFlight.get(subscriber);
      p?.delete(id);
      if (p?.size === 0) this.inFlight.delete(subscriber);
      if (outcome === 'timeout') this.hold(subscriber);
    };
  }

  private hold(subscriber: string): void {
    const now = this.now();
    // expired holds are dropped as they are found, and all at once if the map grows (one per user at most)
    if (this.heldUntil.size >= 1024) for (const [k, t] of this.heldUntil) if (t <= now) this.heldUntil.delete(k);
    this.heldUntil.delete(subscriber);
    this.heldUntil.set(subscriber, now + this.limits.unresponsiveHoldMs);
  }
}
