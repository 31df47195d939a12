/*
 * The life of a call in a park slot, on the instance that holds it (issue 14: a failed
 * retrieve must leave the call parked, and two retrieves of one slot must not both run).
 * The slot's Redis entry stays until the call leaves it for good ("retrieved", "ended"),
 * so a retrieve that fails gives nothing back: the entry, the timeout and the music are
 * all still there.
 *
 *   free --music attached--> parked --retrieve / REST retrieve starts--> retrieving
 *                            |  ^  |                                        |  |
 *                            |  +--|-------- the retrieve failed -----------+  |
 *                            |     |                                           +--handed over--> retrieved
 *                            |     +--timeout--> returning --handed over------------------------> retrieved
 *                            |                       |
 *                            +--hang-up, stop--------+--nobody took it, hang-up--> ended
 *
 * ("retrieving" also ends on a hang-up of the parked party.)
 */
export type SlotState = 'free' | 'parked' | 'retrieving' | 'returning' | 'retrieved' | 'ended';

const LEGAL: Record<SlotState, readonly SlotState[]> = {
  free: ['parked'],
  parked: ['retrieving', 'returning', 'ended'],
  retrieving: ['parked', 'retrieved', 'ended'],
  returning: ['retrieved', 'ended'],
  retrieved: [],
  ended: [],
};

export class IllegalSlotTransition extends Error {
  constructor(readonly from: SlotState, readonly to: SlotState) {
    super(`park slot: no step from ${from} to ${to}`);
  }
}

/** One parked call's state; every step goes through `to`, which refuses what the drawing has no arrow for. */
export class SlotMachine {
  private current: SlotState = 'free';

  get state(): SlotState {
    return this.current;
  }

  /** Whether `next` is a legal step from here (for actors that race: check, then step, with no await between). */
  can(next: SlotState): boolean {
    return LEGAL[this.current].includes(next);
  }

  /** Steps to `next`; throws IllegalSlotTransition if the drawing has no such arrow. */
  to(next: SlotState): void {
    if (!this.can(next)) throw new IllegalSlotTransition(this.current, next);
    this.current = next;
  }

  /** Steps to `next` if legal; false (and nothing changes) otherwise. */
  try(next: SlotState): boolean {
    if (!this.can(next)) return false;
    this.current = next;
    return true;
  }
}
