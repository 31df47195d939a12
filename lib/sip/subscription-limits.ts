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
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = {
  // a phone with BLF expansion modules watches up to about 200 lines
  maxPerSubscriber: 200,
  maxPerResource: 100,
  maxTotal: 10000,
  // RFC 6665 sets no minimum; 1 keeps every phone working, an operator may raise it
  minExpires: 1,
  maxExpires: 3600,
  notifyIntervalMs: 1000,
  maxDialogs: 16,
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
