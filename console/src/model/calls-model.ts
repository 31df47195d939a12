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
  /** `party`: another user took a side (a transfer, a retrieve): the parties below are the new ones */
  change: 'created' | 'answered' | 'held' | 'resumed' | 'party' | 'ended';
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

/** A call with its sort key: created at (ms), then id, so equal times still have one order. */
interface Entry {
  at: number;
  call: CallView;
}

function before(a: Entry, at: number, id: string): boolean {
  return a.at < at || (a.at === at && a.call.id < id);
}

/**
 * The live calls: a list fetched once, kept current by change events (order: oldest
 * first). The order is kept as events arrive: a new call goes in at the place a binary
 * search finds (at the end, nearly always), so an event costs O(log n) to place, not a
 * sort of every call; the page asks only for the rows it shows (`rowsIn`).
 */
export class CallsModel {
  private readonly byId = new Map<string, Entry>();
  private readonly order: Entry[] = [];

  /** Replaces everything with a fresh GET /v1/calls (on connecting): one sort here, none per event. */
  reset(list: readonly CallView[]): void {
    this.byId.clear();
    this.order.length = 0;
    for (const c of list) {
      if (c.state === 'ended') continue;
      const e = { at: Date.parse(c.createdAt) || 0, call: c };
      const old = this.byId.get(c.id);
      if (old) old.call = c;
      else {
        this.byId.set(c.id, e);
        this.order.push(e);
      }
    }
    this.order.sort((a, b) => a.at - b.at || (a.call.id < b.call.id ? -1 : a.call.id > b.call.id ? 1 : 0));
  }

  /** One event of the stream; an ended call leaves the list. */
  apply(change: CallChangeView): void {
    if (change.change === 'ended' || change.state === 'ended') {
      this.remove(change.id);
      return;
    }
    const { change: _change, ...call } = change;
    const at = Date.parse(call.createdAt) || 0;
    const old = this.byId.get(call.id);
    if (old && old.at === at) {
      old.call = call;
      return;
    }
    if (old) this.remove(call.id);
    const e = { at, call };
    this.order.splice(this.lowerBound(at, call.id), 0, e);
    this.byId.set(call.id, e);
  }

  get size(): number {
    return this.order.length;
  }

  get(id: string): CallView | undefined {
    return this.byId.get(id)?.call;
  }

  /** Where the call is in the order (-1: not listed). */
  indexOf(id: string): number {
    const e = this.byId.get(id);
    if (!e) return -1;
    const i = this.lowerBound(e.at, id);
    return this.order[i] === e ? i : -1;
  }

  /** Up to `limit` calls, in order, that `pred` accepts (the attended-transfer picker). */
  find(pred: (c: CallView) => boolean, limit: number): CallView[] {
    const out: CallView[] = [];
    for (const e of this.order) {
      if (out.length >= limit) break;
      if (pred(e.call)) out.push(e.call);
    }
    return out;
  }

  /** Every row, oldest first. `parked`: see rowsIn. */
  rows(now: number, parked: ReadonlyMap<string, string> = new Map()): CallRow[] {
    return this.rowsIn(0, this.order.length, now, parked);
  }

  /**
   * The rows from index `first` up to (not including) `last`, oldest first.
   * `parked`: the slot each parked call is in, by call id (GET /v1/parks): such a call is
   * neither held nor parked again from its row.
   */
  rowsIn(first: number, last: number, now: number, parked: ReadonlyMap<string, string> = new Map()): CallRow[] {
    const from = Math.max(0, first);
    const to = Math.min(this.order.length, last);
    const out: CallRow[] = [];
    for (let i = from; i < to; i++) out.push(toRow(this.order[i].call, now, parked.get(this.order[i].call.id)));
    return out;
  }

  private remove(id: string): void {
    const i = this.indexOf(id);
    if (i !== -1) this.order.splice(i, 1);
    this.byId.delete(id);
  }

  /** The first index whose entry is not before (at, id). */
  private lowerBound(at: number, id: string): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.order[mid], at, id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function toRow(c: CallView, now: number, slot: string | undefined): CallRow {
  const since = Date.parse(c.answeredAt ?? c.createdAt);
  const holders = (['caller', 'callee'] as const).filter((s) => c.held?.[s] !== undefined);
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
}
