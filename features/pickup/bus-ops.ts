import { defineEvent, defineOp, guards } from '../../lib/bus';

const { arr, bool, obj, str } = guards;

/**
 * A pickup on one instance of a call ringing through another: the owner of the call
 * rings the picker's phones itself (it has the caller's dialog) and the first phone to
 * answer takes the call. False never comes back: a call no longer ringing is an error.
 */
export const ringForOp = defineOp('pickup.ring-for', {
  args: obj({ callId: str({ max: 256 }), picker: str({ max: 128 }) }),
  result: bool,
});

/** How long the picker's instance waits for the owner to take the pickup on. */
export const RING_FOR_TIMEOUT_MS = 5000;

/**
 * A call started or stopped ringing in pickup groups (on any instance): the console's
 * pickup view (GET /v1/events, Feature.liveTopics) refreshes the tenant's ringing list.
 */
export const ringingChanged = defineEvent('pickup.ringing-changed', obj({
  tenant: str({ max: 253 }),
  callId: str({ max: 256 }),
  ringing: bool,
  groups: arr(str({ max: 64, charset: 'token' }), { max: 64 }),
}));
