import { formatDuration } from './format';

/** GET /v1/tenants/{domain}/park, as far as the grid needs it. */
export interface ParkLotView {
  firstSlot: number;
  lastSlot: number;
  timeout?: number;
}

/** One entry of GET /v1/parks. */
export interface ParkedView {
  slot: string;
  callId: string;
  parker: string;
  parked: string;
  since: string;
  timeoutAt: string;
  state: 'parked' | 'retrieving';
}

export interface SlotCell {
  slot: string;
  occupied: boolean;
  parked: string;
  parker: string;
  /** time left until the park times out, `m:ss`; '' for a free slot */
  countdown: string;
  /** the timeout is near (under 10 s): the cell says so */
  expiring: boolean;
  retrieving: boolean;
}

/** The grid shows a lot of this many slots at most (the API allows 1000; a page would not). */
export const MAX_GRID_SLOTS = 200;

/** Every slot of the lot in order, each with what is parked there and its countdown. */
export function parkGrid(lot: ParkLotView, parks: readonly ParkedView[], now: number): SlotCell[] {
  const bySlot = new Map(parks.map((p) => [p.slot, p]));
  const last = Math.min(lot.lastSlot, lot.firstSlot + MAX_GRID_SLOTS - 1);
  const cells: SlotCell[] = [];
  for (let n = lot.firstSlot; n <= last; n++) {
    const slot = String(n);
    const p = bySlot.get(slot);
    const left = p ? Date.parse(p.timeoutAt) - now : 0;
    cells.push({
      slot,
      occupied: p !== undefined,
      parked: p?.parked ?? '',
      parker: p?.parker ?? '',
      countdown: p ? formatDuration(left) : '',
      expiring: p !== undefined && left < 10_000,
      retrieving: p?.state === 'retrieving',
    });
  }
  return cells;
}
