import type { UserRecord } from '../store';

/** A user as the policy reads it. */
export type Watched = Pick<UserRecord, 'user' | 'callGroups' | 'dialogWatchers'>;
export type Watcher = Pick<UserRecord, 'user' | 'pickupGroups'>;

/**
 * Who may SUBSCRIBE to a user's dialog state (RFC 4235): its NOTIFYs carry the caller,
 * the Call-ID and the tags of every call the user is on, which is enough to listen in on
 * whom the user talks to and to build a Replaces (RFC 3891) for the call. RFC 4235 8 asks
 * the notifier to authorize subscribers, and RFC 6665 4.2.1.2 lets it refuse with 403 by
 * policy. Allowed:
 * - the user itself (its other phones, its own BLF keys);
 * - a user whose pickupGroups include one of the target's callGroups: it may pick those
 *   calls up anyway, and a BLF pickup key needs exactly these NOTIFYs;
 * - whoever the target lists in `dialogWatchers` (a receptionist's console), or everyone
 *   of the tenant with '*'.
 * Both users are of the same tenant: the router derives the tenant from the subscriber's
 * authenticated domain and looks the target up in it.
 */
export function mayWatchDialogs(subscriber: Watcher | null, target: Watched): boolean {
  if (!subscriber) return false;
  if (subscriber.user === target.user) return true;
  if (target.dialogWatchers.includes('*') || target.dialogWatchers.includes(subscriber.user)) return true;
  return subscriber.pickupGroups.some((g) => target.callGroups.includes(g));
}
