import type { ForkTarget } from './outbound-fork';
import type { RingNext, RingSequence, StepOutcome } from './ring-plan';

/*
 * Contacts that did not answer an INVITE at all, kept for a while so the next call does
 * not try them again.
 *
 * RFC 3261 8.1.3.1 / 17.1.1.2: timer B (64*T1) firing with no response whatsoever, not
 * even a 100 Trying, means the request never reached a UA, and a transport error (a 503
 * the stack makes itself) says the same sooner. Each such INVITE held a client
 * transaction for 32 s and an rtpengine session: a phone switched off, or a Contact an
 * attacker registered toward an address that never answers, turned every call into that
 * cost. RFC 5626 (SIP Outbound) has a proxy stop using a binding whose flow failed (430
 * Flow Failed) until the UA registers again; we keep a weaker, local form of that rather
 * than removing the binding from the registration: the record is per instance, in memory, bounded, and
 * forgotten after `ttlMs`, so a phone back from a dead spot is rung again within a
 * minute, and nothing in Redis (which every instance and the REST view share) changes
 * because of what one instance saw on the network.
 *
 * The set only learns once timer B fires, 32 s after the first INVITE; until then every
 * new call would send another INVITE to a dead or fuzzed contact (issue #13: 17,600 of
 * them in one bench run). So a contact that has answered nothing within `ttlMs` may have
 * at most `maxInFlight` INVITEs outstanding; one more fork to it is skipped as if it were
 * unreachable. A contact that answered anything within `ttlMs` is exempt: a trunk or a
 * busy attendant phone takes as many calls as it is offered.
 */

export interface UnreachableContactsOptions {
  /** how long a silent contact is skipped */
  ttlMs: number;
  /** most contacts remembered; the oldest are forgotten first (a flood cannot grow it) */
  max: number;
  /** INVITEs outstanding at once to a contact not heard from within `ttlMs` (default 4; 0: no cap) */
  maxInFlight?: number;
  now?: () => number;
}

/** RFC 3261 17.1.1: one INVITE client transaction per slot; the default cap of a contact not heard from */
export const DEFAULT_MAX_IN_FLIGHT = 4;

/** Gives back a slot claimed with UnreachableContacts.claim; calling it again does nothing. */
export type ReleaseSlot = () => void;

/** Where a fork target's INVITE really goes: its next hop (NAT) and Request-URI. */
function keyOf(t: ForkTarget): string {
  return `${t.proxy ?? ''} ${t.uri}`;
}

export class UnreachableContacts {
  /** key -> expiry; insertion order is expiry order (one TTL, a refresh re-inserts) */
  private readonly until = new Map<string, number>();
  /** key -> when it last answered anything; insertion order is time order, at most `max` */
  private readonly heardAt = new Map<string, number>();
  /** key -> INVITEs outstanding; an entry lives only while one is (bounded by live transactions) */
  private readonly inFlight = new Map<string, number>();
  private readonly now: () => number;
  private readonly maxInFlight: number;

  constructor(private readonly opts: UnreachableContactsOptions) {
    this.now = opts.now ?? Date.now;
    this.maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  }

  get size(): number {
    this.prune();
    return this.until.size;
  }

  /** An INVITE to this target ended with no response from it (timer B, transport error). */
  silent(t: ForkTarget): void {
    if (this.opts.ttlMs <= 0 || this.opts.max <= 0) return;
    const key = keyOf(t);
    this.until.delete(key);
    this.until.set(key, this.now() + this.opts.ttlMs);
    this.prune();
    for (const oldest of this.until.keys()) {
      if (this.until.size <= this.opts.max) break;
      this.until.delete(oldest);
    }
  }

  /** The target answered something: it is reachable again, and exempt from the cap for `ttlMs`. */
  heard(t: ForkTarget): void {
    const key = keyOf(t);
    this.until.delete(key);
    if (!this.capping()) return;
    this.heardAt.delete(key);
    this.heardAt.set(key, this.now());
    for (const oldest of this.heardAt.keys()) {
      if (this.heardAt.size <= this.opts.max) break;
      this.heardAt.delete(oldest);
    }
  }

  /** Whether one more INVITE to the target would pass the cap of a contact not heard from. */
  isSaturated(t: ForkTarget): boolean {
    if (!this.capping()) return false;
    const key = keyOf(t);
    return (this.inFlight.get(key) ?? 0) >= this.maxInFlight && !this.heardLately(key);
  }

  /**
   * Claims a slot for one INVITE to the target, released when its transaction ends;
   * undefined when the target is saturated (see isSaturated) and must be skipped.
   */
  claim(t: ForkTarget): ReleaseSlot | undefined {
    if (!this.capping()) return () => undefined;
    if (this.isSaturated(t)) return undefined;
    const key = keyOf(t);
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.inFlight.get(key) ?? 1) - 1;
      if (n > 0) this.inFlight.set(key, n);
      else this.inFlight.delete(key);
    };
  }

  /** INVITEs outstanding to the target (slots claimed and not released). */
  pending(t: ForkTarget): number {
    return this.inFlight.get(keyOf(t)) ?? 0;
  }

  /** Whether a fork skips the target: known unreachable, or saturated. */
  skips(t: ForkTarget): boolean {
    return this.isUnreachable(t) || this.isSaturated(t);
  }

  isUnreachable(t: ForkTarget): boolean {
    const exp = this.until.get(keyOf(t));
    if (exp === undefined) return false;
    if (exp > this.now()) return true;
    this.until.delete(keyOf(t));
    return false;
  }

  private capping(): boolean {
    return this.opts.ttlMs > 0 && this.opts.max > 0 && this.maxInFlight > 0;
  }

  private heardLately(key: string): boolean {
    const at = this.heardAt.get(key);
    if (at === undefined) return false;
    if (at + this.opts.ttlMs > this.now()) return true;
    this.heardAt.delete(key);
    return false;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, exp] of this.until) {
      if (exp > now) break;
      this.until.delete(key);
    }
  }
}

/**
 * What a step whose every target is known unreachable ends with, without sending
 * anything: RFC 3261 21.4.18 480 Temporarily Unavailable, as a step whose phones did not
 * answer at all; the sequence's hooks (forward on unreachable) see it like any other.
 */
export const ALL_UNREACHABLE: StepOutcome = { status: 480, reason: 'Temporarily Unavailable', rang: false, timedOut: false };

/** Bound on steps skipped in a row (a sequence has its own chain limit; this one only guards this loop). */
const MAX_SKIPPED_STEPS = 16;

/**
 * A ring sequence that rings only the targets not known unreachable nor saturated (the
 * fork claims the slot itself when it sends, see OutboundFork): a step left with
 * none is not rung at all (no INVITE, no media offer) and the sequence goes on as if
 * that step had failed with 480.
 */
export function avoidUnreachable(plan: RingSequence, contacts: UnreachableContacts): RingSequence {
  const filter = async (n: RingNext): Promise<RingNext> => {
    for (let i = 0; n.kind === 'ring' && i < MAX_SKIPPED_STEPS; i++) {
      const targets = n.targets.filter((t) => !contacts.skips(t));
      if (targets.length > 0) return targets.length === n.targets.length ? n : { ...n, targets };
      n = await plan.next(ALL_UNREACHABLE);
    }
    return n.kind === 'ring' ? { kind: 'final', status: ALL_UNREACHABLE.status, reason: ALL_UNREACHABLE.reason } : n;
  };
  return {
    first: async () => filter(await plan.first()),
    next: async (outcome) => filter(await plan.next(outcome)),
  };
}
