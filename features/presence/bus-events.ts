import { defineEvent, guards } from '../../lib/bus';

const { obj, str, oneOf, int } = guards;

/** A presentity's published state changed on some instance: every instance's watchers of it hear it. */
export const presenceChanged = defineEvent('presence.changed', obj({ tenant: str({ max: 253 }), user: str({ max: 128 }) }));

/**
 * A watcher of a presentity started, changed status or ended on instance `from` (RFC 3857
 * watcher information): every instance's winfo subscribers of the presentity hear it.
 */
export const watcherChanged = defineEvent('presence.watcher', obj({
  from: str({ max: 128 }),
  tenant: str({ max: 253 }),
  presentity: str({ max: 128 }),
  id: str({ max: 128 }),
  uri: str({ max: 2048 }),
  status: oneOf(['pending', 'active', 'terminated'] as const),
  event: oneOf(['subscribe', 'approved', 'rejected', 'timeout', 'deactivated', 'giveup'] as const),
  startedAt: int({ min: 0, max: Number.MAX_SAFE_INTEGER }),
}));

/**
 * What a user is doing by the calls instance `from` holds (ringing, on the phone, idle):
 * every instance composes it into the user's PIDF, so watchers on any instance see calls
 * that live on another.
 */
export const activityChanged = defineEvent('presence.activity', obj({
  from: str({ max: 128 }),
  tenant: str({ max: 253 }),
  user: str({ max: 128 }),
  activity: oneOf(['idle', 'ringing', 'on-the-phone'] as const),
}));
