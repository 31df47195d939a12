import type { Logger } from 'winston';
import { diversionHeaders, type DiversionCause, type Hop } from './diversion';
import type { ForkTarget } from './outbound-fork';
import { timedOutStatus, type RingNext, type RingSequence, type StepOutcome } from './ring-plan';

/** How a step ringing a user ended, as call services see it. */
export type RingOutcome = 'busy' | 'noAnswer' | 'declined' | 'unreachable';

/** Who calls whom, for a hook deciding about one user of the chain. */
export interface UserCallContext {
  tenant: string;
  /** `user` and `uri` as the callee may see them (anonymous when withheld); `account`: who authenticated */
  caller: { user: string; uri: string; anonymous: boolean; account: string };
  /** the user the caller dialed */
  dialed: string;
  /** the user about to ring (or who just failed to answer): the dialed one, or where it was forwarded */
  user: string;
  /** the users the call went through so far, dialed first, `user` last */
  chain: readonly string[];
  logger: Logger;
}

/** A location of a find-me sequence: the phones of these users ring together for ringMs. */
export interface RingLocation {
  users: string[];
  ringMs: number;
}

/** CFNR overlap: when the ring time runs out, `user` rings too while the phones keep ringing. */
export interface RingOverlap {
  user: string;
  cause: DiversionCause;
}

export type BeforeRing =
  | {
    action: 'continue';
    /** how long this user's phones ring (a per-user no-answer time) */
    ringMs?: number;
    /** instead of cancelling them at the end of ringMs, ring `overlap.user` alongside */
    overlap?: RingOverlap;
  }
  | { action: 'reject'; status: number; reason?: string }
  | { action: 'divert'; user: string; cause: DiversionCause }
  /** find-me (service example 2.11): the user's locations one after another instead of its phones */
  | { action: 'sequence'; steps: RingLocation[] };

export type AfterOutcome = { action: 'divert'; user: string; cause: DiversionCause } | undefined;

/**
 * A call service's say in a user call (features register it as Feature.userCalls).
 * `originating` runs once for the caller, before the callee is looked up; `beforeRing`
 * for every user the call reaches (the dialed one, then each forward target); the first
 * hook that does not continue decides. `afterOutcome` is asked when a user's phones did
 * not answer, while the caller's INVITE is still open; the first diversion wins.
 */
export interface UserCallHook {
  originating?(ctx: Omit<UserCallContext, 'user' | 'chain'>): Promise<BeforeRing> | BeforeRing;
  beforeRing?(ctx: UserCallContext): Promise<BeforeRing> | BeforeRing;
  afterOutcome?(ctx: UserCallContext, outcome: RingOutcome): Promise<AfterOutcome> | AfterOutcome;
  /**
   * A destination that is no user of the tenant (a number, another domain): the ring
   * sequence that reaches it (an outbound route), or undefined. With no sequence from any
   * hook the caller gets 404: nothing is sent anywhere without a route (no open relay).
   */
  external?(ctx: Omit<UserCallContext, 'user' | 'chain'>): Promise<RingSequence | undefined> | RingSequence | undefined;
}

export interface UserCallPlanDeps {
  hooks: readonly UserCallHook[];
  /** the registered contacts of a user of the tenant */
  contacts(user: string): Promise<ForkTarget[]>;
  /** whether a diversion target is a user of the tenant (else an outbound route must reach it) */
  isUser(user: string): Promise<boolean>;
  /** ring time when no hook sets one */
  ringMs: number;
  /** most users a call may reach, the dialed one included (loop and chain protection) */
  maxUsers: number;
  logger: Logger;
}

/** RFC 3261 21.4 / 21.6: a 486 or 600 is busy, 603 a refusal; anything else without an answer is unreachable. */
export function classify(o: StepOutcome): RingOutcome {
  if (o.timedOut) return 'noAnswer';
  if (o.status === 486 || o.status === 600) return 'busy';
  if (o.status === 603) return 'declined';
  return 'unreachable';
}

/**
 * A call to a user of the tenant as a ring sequence: the user's contacts ring for its
 * ring time, and call services may reject it, divert it before it rings (unconditional
 * forward, do not disturb) or after it failed (busy, no answer). A diversion to a user
 * already in the chain is a loop; a chain longer than `maxUsers` is cut. Before ringing
 * that ends the call (482 Loop Detected, 483 Too Many Hops, RFC 3261 21.4.20/21); after
 * an outcome the caller gets the outcome's own status.
 */
export class UserCallPlan implements RingSequence {
  private readonly users: string[];
  private readonly hops: Hop[] = [];
  /** chain length at the last step handed out: a longer chain means the call was diverted */
  private rung = 1;
  /** the current user's find-me locations not rung yet */
  private locations: RingLocation[] = [];
  /** a diversion to a destination outside the tenant: its outbound route's sequence runs the rest */
  private delegate?: RingSequence;
  /** the CFNR overlap of the step handed out last, if it has one */
  private overlap?: RingOverlap;

  constructor(private readonly deps: UserCallPlanDeps, private readonly base: Omit<UserCallContext, 'user' | 'chain'>) {
    this.users = [base.dialed];
  }

  first(): Promise<RingNext> {
    return this.enter();
  }

  async next(outcome: StepOutcome): Promise<RingNext> {
    if (this.delegate) return this.decorate(await this.delegate.next(outcome));
    const overlap = this.overlap;
    this.overlap = undefined;
    if (overlap && outcome.overlapped) {
      // the overlap target rang too and nobody answered: the call is the target's now, its
      // own no-answer handling follows (the 181 went out when it started ringing)
      this.divert(overlap.user, overlap.cause);
      this.rung = this.users.length;
    }
    // find-me: no answer, busy, unavailable -> the next location; a refusal (603) ends it
    if (this.locations.length > 0 && classify(outcome) !== 'declined') {
      const n = await this.nextLocation();
      if (n) return n;
    }
    this.locations = [];
    if (await this.after(classify(outcome))) return this.enter();
    return outcome.timedOut ? { kind: 'final', ...timedOutStatus(outcome) } : { kind: 'final', status: outcome.status, reason: outcome.reason };
  }

  private get current(): string {
    return this.users[this.users.length - 1];
  }

  private context(): UserCallContext {
    return { ...this.base, user: this.current, chain: [...this.users] };
  }

  /** The user at the end of the chain: hooks first, then its phones, or its unreachable outcome. */
  private async enter(): Promise<RingNext> {
    for (;;) {
      if (this.users.length > 1 && !(await this.deps.isUser(this.current))) return this.leave();
      const decision = await this.before();
      if (decision.action === 'reject') return { kind: 'final', status: decision.status, reason: decision.reason };
      if (decision.action === 'divert') {
        const refused = this.refuse(decision.user);
        if (refused) return refused;
        this.divert(decision.user, decision.cause);
        continue;
      }
      if (decision.action === 'sequence') {
        this.locations = [...decision.steps];
        const n = await this.nextLocation();
        if (n) return n;
      } else {
        const targets = await this.deps.contacts(this.current);
        const ringMs = decision.ringMs ?? this.deps.ringMs;
        if (targets.length > 0) return this.withOverlap(this.ring(targets, ringMs, false), ringMs, decision.overlap);
      }
      if (!(await this.after('unreachable'))) return { kind: 'final', status: 404, reason: 'Not Found - Not Registered' };
    }
  }

  /**
   * The call was diverted to a destination that is no user (a number): an outbound route
   * reaches it (hook `external`), or the caller gets 404; nothing is sent without a route.
   */
  private async leave(): Promise<RingNext> {
    const ctx = { ...this.base, dialed: this.current };
    for (const h of this.deps.hooks) {
      const seq = await h.external?.(ctx);
      if (!seq) continue;
      this.delegate = seq;
      return this.decorate(await seq.first());
    }
    return { kind: 'final', status: 404, reason: 'Not Found - No Route' };
  }

  /** An outbound route's step as a step of this diverted call: 181, History-Info, Diversion. */
  private decorate(n: RingNext): RingNext {
    if (n.kind !== 'ring') return n;
    const own = this.ring(n.targets, n.ringMs, false);
    return { ...own, headers: { ...n.headers, ...own.headers } };
  }

  /** The next find-me location with a phone registered; undefined when none is left. */
  private async nextLocation(): Promise<RingNext | undefined> {
    for (let loc = this.locations.shift(); loc; loc = this.locations.shift()) {
      const targets = (await Promise.all(loc.users.map((u) => this.deps.contacts(u)))).flat();
      // the caller hears ringback throughout, even while a location stays silent
      if (targets.length > 0) return this.ring(targets, loc.ringMs, true);
    }
    return undefined;
  }

  /**
   * CFNR overlap: the user's phones ring for `ringMs`, then the no-answer target's phones
   * join them for the target's own ring time (first answer wins). Only a user of the
   * tenant whose own services let it ring (no forward, DND or screening of its own) and
   * that has phones is overlapped; otherwise the step rings alone and the no-answer
   * forward follows it as usual (afterOutcome).
   */
  private async withOverlap(step: Extract<RingNext, { kind: 'ring' }>, ringMs: number, o: RingOverlap | undefined): Promise<RingNext> {
    if (!o || this.refuse(o.user) || !(await this.deps.isUser(o.user))) return step;
    const users = [...this.users, o.user];
    const theirs = await this.before({ ...this.base, user: o.user, chain: users });
    if (theirs.action !== 'continue') return step;
    const targets = (await this.deps.contacts(o.user)).map((t) => ({ ...t, party: o.user }));
    if (targets.length === 0) return step;
    this.overlap = o;
    const headers = diversionHeaders(this.base.tenant, users, [...this.hops, { user: this.current, cause: o.cause }]);
    return { ...step, ringMs: ringMs + (theirs.ringMs ?? this.deps.ringMs), overlap: { afterMs: ringMs, targets, headers } };
  }

  private ring(targets: ForkTarget[], ringMs: number, ringback: boolean): Extract<RingNext, { kind: 'ring' }> {
    const forwarded = this.users.length > this.rung;
    this.rung = this.users.length;
    return {
      kind: 'ring', targets, ringMs, forwarded, ringback,
      headers: diversionHeaders(this.base.tenant, this.users, this.hops), callee: this.current,
    };
  }

  private async before(ctx = this.context()): Promise<BeforeRing> {
    let ringMs: number | undefined;
    let overlap: RingOverlap | undefined;
    for (const h of this.deps.hooks) {
      const d = await h.beforeRing?.(ctx);
      if (!d) continue;
      if (d.action !== 'continue') return d;
      ringMs ??= d.ringMs;
      overlap ??= d.overlap;
    }
    return { action: 'continue', ringMs, overlap };
  }

  /** True when a hook diverted the call to a new user (the chain grew). */
  private async after(outcome: RingOutcome): Promise<boolean> {
    const ctx = this.context();
    for (const h of this.deps.hooks) {
      const d = await h.afterOutcome?.(ctx, outcome);
      if (!d) continue;
      if (this.refuse(d.user)) {
        ctx.logger.info('diversion refused: the caller gets the outcome', { from: this.current, to: d.user, outcome });
        return false;
      }
      this.divert(d.user, d.cause);
      return true;
    }
    return false;
  }

  private refuse(user: string): RingNext | undefined {
    if (this.users.includes(user)) return { kind: 'final', status: 482, reason: 'Loop Detected' };
    if (this.users.length >= this.deps.maxUsers) return { kind: 'final', status: 483, reason: 'Too Many Hops' };
    return undefined;
  }

  private divert(user: string, cause: DiversionCause): void {
    this.deps.logger.info('call diverted', { from: this.current, to: user, cause });
    this.hops.push({ user: this.current, cause });
    this.users.push(user);
  }
}
