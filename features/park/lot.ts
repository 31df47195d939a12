import type { RedisClient } from '../../lib/store';
import { keys, TenantSettings } from '../../lib/store';

/** A tenant's park lot: where calls are parked, for how long, and what then. */
export interface ParkLot {
  /** the park extension: a blind transfer (REFER) to it parks in the first free slot */
  extension: string;
  /** slot numbers, e.g. 701..720 */
  firstSlot: number;
  lastSlot: number;
  /** seconds a call stays parked before it comes back to the parker */
  timeout: number;
  /** music class the parked party hears */
  mohClass: string;
  /** seconds the parker's phone rings when the call comes back */
  comebackTimeout: number;
  /** who gets the call when the parker does not answer; unset: hang up (logged) */
  fallback?: string;
  /** the parker hears "your call is parked at <slot>" before it is released */
  announce: boolean;
}

export const DEFAULT_LOT: ParkLot = { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 45, mohClass: 'default', comebackTimeout: 20, announce: true };

export function slotsOf(lot: ParkLot): string[] {
  const out: string[] = [];
  for (let n = lot.firstSlot; n <= lot.lastSlot; n++) out.push(String(n));
  return out;
}

/** A tenant's park lot in Redis (`parklot:{tenant}`). */
export class ParkLotStore extends TenantSettings<ParkLot> {
  constructor(redis: RedisClient) {
    super(redis, keys.parkLot, DEFAULT_LOT);
  }
}
