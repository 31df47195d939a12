import { formatDuration } from './format';

/** A call as GET /v1/calls lists it and GET /v1/events tells its changes (ISO times). */
export interface CallView {
  id: string;
  tenant: string;
  state: 'ringing' | 'answered' | 'ended';
  caller: { user: string };
  callee: { user: string };
  instanceId?: string;
  createdAt: string;
  answeredAt?: string;
  held?: { caller?: string; callee?: string };
}

/** A `call` event's data: the call as it is now, and what changed. */
export interface CallChangeView extends CallView {
  change: 'created' | 'answered' | 'held' | 'resumed' | 'ended';
}

/** One line of the live calls list. */
export interface CallRow {
  id: string;
  caller: string;
  callee: string;
  state: string;
  /** since answered (or since created while ringing) */
  duration: string;
  /** who holds, e.g. 'callee holds'; '' when nobody does */
  hold: string;
  onHold: boolean;
  instance: string;
  canHold: boolean;
  canPark: boolean;
}

/** The live calls: a list fetched once, kept current by change events (order: oldest first). */
export class CallsModel {
  private readonly calls = new Map<string, CallView>();

  /** Replaces everything with a fresh GET /v1/calls (on connecting). */
  reset(list: readonly CallView[]): void {
    this.calls.clear();
    for (const c of list) if (c.state !== 'ended') this.calls.set(c.id, c);
  }

  /** One event of the stream; an ended call leaves the list. */
  apply(change: CallChangeView): void {
    if (change.change === 'ended' || change.state === 'ended') {
      this.calls.delete(change.id);
      return;
    }
    const { change: _change, ...call } = change;
    this.calls.set(call.id, call);
  }

  get size(): number {
    return this.calls.size;
  }

  /** `parked`: the slot each parked call is in, by call id (GET /v1/parks): such a call is neither held nor parked again from its row */
  rows(now: number, parked: ReadonlyMap<string, string> = new Map()): CallRow[] {
    return [...this.calls.values()]
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
      .map((c) => {
        const since = Date.parse(c.answeredAt ?? c.createdAt);
        const holders = (['caller', 'callee'] as const).filter((s) => c.held?.[s] !== undefined);
        const slot = parked.get(c.id);
        return {
          id: c.id,
          caller: c.caller.user,
          callee: c.callee.user,
          state: slot === undefined ? c.state : `parked at ${slot}`,
          duration: formatDuration(now - since),
          hold: holders.length === 0 ? '' : `${holders.join(' and ')} held`,
          onHold: holders.length > 0,
          instance: c.instanceId ?? '',
          canHold: c.state === 'answered' && slot === undefined,
          canPark: c.state === 'answered' && slot === undefined,
        };
      });
  }
}
