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
 */

export interface UnreachableContactsOptions {
  /** how long a silent contact is skipped */
  ttlMs: number;
  /** most contacts remembered; the oldest are forgotten first (a flood cannot grow it) */
  max: number;
  now?: () => number;
}

/** Where a fork target's INVITE really goes: its next hop (NAT) and Request-URI. */
function keyOf(t: ForkTarget): string {
  return `${t.proxy ?? ''} ${t.uri}`;
}

export class UnreachableContacts {
  /** key -> expiry; insertion order is expiry order (one TTL, a refresh re-inserts) */
  private readonly until = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly opts: UnreachableContactsOptions) {
    this.now = opts.now ?? Date.now;
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

  /** The target answered something: it is reachable again. */
  heard(t: ForkTarget): void {
    this.until.delete(keyOf(t));
  }

  isUnreachable(t: ForkTarget): boolean {
    const exp = this.until.get(keyOf(t));
    if (exp === undefined) return false;
    if (exp > this.now()) return true;
    this.until.delete(keyOf(t));
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
 * A ring sequence that rings only the targets not known unreachable: a step left with
 * none is not rung at all (no INVITE, no media offer) and the sequence goes on as if
 * that step had failed with 480.
 */
export function avoidUnreachable(plan: RingSequence, contacts: UnreachableContacts): RingSequence {
  const filter = async (n: RingNext): Promise<RingNext> => {
    for (let i = 0; n.kind === 'ring' && i < MAX_SKIPPED_STEPS; i++) {
      const targets = n.targets.filter((t) => !contacts.isUnreachable(t));
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
