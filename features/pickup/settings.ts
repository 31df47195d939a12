import type { RedisClient } from '../../lib/store';
import { keys, TenantSettings } from '../../lib/store';

/** A tenant's pickup codes (issue: codes configurable per tenant). */
export interface PickupSettings {
  /** group pickup: the longest-ringing call of the picker's pickup groups */
  groupCode: string;
  /** directed pickup: prefix + extension */
  directedPrefix: string;
}

export const DEFAULT_PICKUP: PickupSettings = { groupCode: '*8', directedPrefix: '**' };

export class PickupSettingsStore extends TenantSettings<PickupSettings> {
  constructor(redis: RedisClient) {
    super(redis, keys.pickupSettings, DEFAULT_PICKUP);
  }
}

/** What a dialed string asks for under these settings. */
export function parseCode(s: PickupSettings, dialed: string): { kind: 'group' } | { kind: 'directed'; target: string } | undefined {
  if (dialed === s.groupCode) return { kind: 'group' };
  if (dialed.startsWith(s.directedPrefix) && dialed.length > s.directedPrefix.length) {
    const target = dialed.slice(s.directedPrefix.length);
    if (/^[A-Za-z0-9._~-]+$/.test(target)) return { kind: 'directed', target };
  }
  return undefined;
}
