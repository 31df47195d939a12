import { defineEvent, guards } from '../../lib/bus';
import type { Conference } from './conference-service';

const { arr, bool, int, obj, oneOf, str } = guards;

/** Members an event lists at most: a bus message is 16 KiB; `memberCount` says how many there are. */
export const MAX_EVENT_MEMBERS = 50;

const when = int({ min: 0, max: Number.MAX_SAFE_INTEGER });

/**
 * A conference as it is now, told to every instance whenever a member joins, leaves,
 * holds or resumes, and when it ends: the console's conference view (GET /v1/events,
 * Feature.liveTopics) keeps its list from these, whichever instance runs the bridge.
 */
export const conferenceChanged = defineEvent('conference.changed', obj({
  change: oneOf(['changed', 'ended'] as const),
  id: str({ max: 64, charset: 'token' }),
  tenant: str({ max: 253 }),
  host: str({ max: 128, charset: 'any' }),
  hostLeaves: oneOf(['end', 'continue'] as const),
  createdAt: when,
  instanceId: str({ max: 128 }),
  memberCount: int({ min: 0, max: 1_000_000 }),
  members: arr(obj({ id: str({ max: 64, charset: 'token' }), user: str({ max: 128, charset: 'any' }), joinedAt: when, held: bool }), { max: MAX_EVENT_MEMBERS }),
}));

export type ConferenceChange = ReturnType<typeof conferenceChanged.body>;

/** The event body for a conference (its first MAX_EVENT_MEMBERS members). */
export function conferenceChangeOf(c: Conference, ended: boolean, instanceId: string): ConferenceChange {
  const members = [...c.members.values()];
  return {
    change: ended ? 'ended' : 'changed', id: c.id, tenant: c.tenant, host: c.host, hostLeaves: c.hostLeaves, createdAt: c.createdAt, instanceId,
    memberCount: members.length,
    members: members.slice(0, MAX_EVENT_MEMBERS).map((m) => ({ id: m.id, user: m.user, joinedAt: m.joinedAt, held: m.held })),
  };
}
