import type { Bridge } from './bridge';

/**
 * The 20 ms period cut into `phases` slots; each bridge mixes in one slot, for good. One
 * timer serves all bridges and wakes once per slot (a fixed number of wakeups per 20 ms,
 * whatever the number of bridges), and each wakeup mixes and sends only its slot's share:
 * the N bridges' packets leave in `phases` small bursts instead of one big one, so the
 * last bridge of a burst is not held up by all the others. Each bridge still sends one
 * packet per 20 ms, at a fixed offset of its own.
 */
export class PhaseSlots {
  readonly lists: Bridge[][];

  constructor(readonly phases: number) {
    if (!Number.isInteger(phases) || phases < 1) throw new RangeError(`bad phase count ${phases}`);
    this.lists = Array.from({ length: phases }, () => []);
  }

  /** Put a new bridge in the slot with the fewest members now (bridges are never moved). */
  add(bridge: Bridge): void {
    let best = 0;
    let bestLoad = Infinity;
    for (let p = 0; p < this.phases; p++) {
      let load = 0;
      for (const b of this.lists[p]) load += b.members.length;
      if (load < bestLoad) {
        best = p;
        bestLoad = load;
      }
    }
    bridge.phase = best;
    this.lists[best].push(bridge);
  }

  remove(bridge: Bridge): void {
    const list = this.lists[bridge.phase];
    const i = list.indexOf(bridge);
    if (i >= 0) list.splice(i, 1);
  }
}
