import { formatDuration } from './format';

/** GET /v1/tenants/{domain}/ringing: the tenant's ringing calls, per call group (`since` in ms). */
export interface RingingListView {
  tenant: string;
  groups: Record<string, Array<{ callId: string; callee: string; caller: string; since: number }>>;
}

export interface RingingRow {
  callId: string;
  caller: string;
  callee: string;
  /** how long it has been ringing, `m:ss` */
  ringing: string;
}

export interface PickupGroupRows {
  group: string;
  calls: RingingRow[];
}

/** Groups the view shows at most, and calls per group (the API lists what Redis holds). */
export const MAX_GROUPS = 100;
export const MAX_CALLS_PER_GROUP = 50;

/** The groups with ringing calls, by name; in each, the longest ringing call first. */
export function pickupGroups(list: RingingListView | undefined, now: number): PickupGroupRows[] {
  if (!list) return [];
  return Object.keys(list.groups).sort().slice(0, MAX_GROUPS)
    .map((group) => ({
      group,
      calls: [...list.groups[group]].sort((a, b) => a.since - b.since).slice(0, MAX_CALLS_PER_GROUP).map((c) => ({
        callId: c.callId, caller: c.caller, callee: c.callee, ringing: formatDuration(now - c.since),
      })),
    }))
    .filter((g) => g.calls.length > 0);
}
