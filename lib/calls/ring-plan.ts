import type { ForkTarget } from './outbound-fork';

/*
 * The ring plan (DESIGN "Calls and state": one primitive rings a user's phones for
 * every feature). The caller's INVITE stays open while a RingSequence hands the call
 * manager one step after another:
 *
 *   first() --ring--> step rings its targets in parallel for ringMs
 *      |                 |  2xx: answered, the plan is over
 *      |                 |  caller CANCEL / pickup: over
 *      |                 v  busy, declined, no answer, unreachable
 *      |              next(outcome) --ring--> another step (a forward, the next location)
 *      |                 |
 *      +--final----------+--final--> the caller gets that status
 *
 * What a step rings and what follows an outcome is the sequence's business: a fixed list
 * of contacts (park comeback, pickup) or a user call (user-call-plan.ts), where features
 * decide through hooks (UserCallHook) and the call manager never learns about forwarding
 * or screening.
 */

/** What ended a step that nobody answered: its best final status, and how it went. */
export interface StepOutcome {
  status: number;
  reason?: string;
  /** some branch sent a provisional response above 100 (a phone rang) */
  rang: boolean;
  /** the step's ring time ran out and its branches were cancelled */
  timedOut: boolean;
  /** the step's overlap targets rang too (the call was diverted to them meanwhile) */
  overlapped?: boolean;
}

export type RingNext =
  | {
    kind: 'ring';
    targets: ForkTarget[];
    ringMs: number;
    /** more headers on this step's INVITEs (History-Info, Diversion) */
    headers?: Record<string, string>;
    /** the call was diverted since the last step: the caller gets 181 (RFC 3261 21.1.3) */
    forwarded?: boolean;
    /** the caller hears 180 from us if no phone sent a provisional response yet (find-me) */
    ringback?: boolean;
    /** the user this step rings, when not the dialed callee */
    callee?: string;
    /**
     * CFNR overlap: after `afterMs` these targets ring too, with their own headers, while
     * `targets` keep ringing; the caller gets 181 then. `ringMs` counts from the step's start.
     */
    overlap?: { afterMs: number; targets: ForkTarget[]; headers: Record<string, string> };
  }
  | { kind: 'final'; status: number; reason?: string };

/** The steps of one call, asked for one at a time while the caller waits. */
export interface RingSequence {
  first(): Promise<RingNext>;
  next(outcome: StepOutcome): Promise<RingNext>;
}

/**
 * RFC 3261 16.7 step 6 from a B2BUA, and issue 17 item 7: a step whose ring time ran
 * out answers 480 if a phone rang, 408 if no branch ever answered at all (call flow 5.5).
 */
export function timedOutStatus(o: Pick<StepOutcome, 'rang'>): { status: number; reason: string } {
  return o.rang ? { status: 480, reason: 'Temporarily Unavailable - No Answer' } : { status: 408, reason: 'Request Timeout' };
}

/** One step, fixed targets, nothing after it: park's comeback, a pickup ringing the picker. */
export function fixedRing(targets: ForkTarget[], ringMs: number, headers?: Record<string, string>): RingSequence {
  return {
    first: async () => ({ kind: 'ring', targets, ringMs, headers }),
    next: async (o) => (o.timedOut ? { kind: 'final', ...timedOutStatus(o) } : { kind: 'final', status: o.status, reason: o.reason }),
  };
}
