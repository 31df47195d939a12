import { defineEvent, defineOp, guards, type Op } from '../../lib/bus';

const { bool, int, obj, oneOf, optional, str } = guards;

const tenant = str({ max: 253 });
const slot = str({ max: 8, charset: 'token' });

/**
 * Park's operations and events on the instance bus (lib/bus), declared once so the
 * instance that asks and the one that owns the call check the same shapes.
 */

/** REST park of a call another instance owns: that instance parks it. A refusal comes back as a result, not an error. */
export const parkOp = defineOp('park.park', {
  args: obj({ callId: str({ max: 256 }), party: oneOf(['caller', 'callee'] as const), slot: optional(slot) }),
  result: obj({
    slot: optional(slot),
    /** why the owner did not park it: a ParkError code, or `no-call` (it no longer has the call) */
    refused: optional(oneOf(['full', 'taken', 'no-slot', 'not-answered', 'music', 'no-call'] as const)),
    message: optional(str({ max: 1024, charset: 'any' })),
  }),
});

/** What the owner answers a remote park: the slot, or why not. */
export type RemoteParkResult = typeof parkOp extends Op<unknown, infer R> ? R : never;

/** REST retrieve of a call parked on another instance: that instance rings `to` and hands the call over. */
export const retrieveToOp = defineOp('park.retrieve-to', {
  args: obj({ tenant, slot, to: str({ max: 128 }), ringMs: int({ min: 0, max: 600_000 }) }),
  result: oneOf(['ok', 'empty', 'busy', 'no-answer'] as const),
});

/** A slot was taken or freed on some instance: every instance's BLF watchers of it hear it. */
export const slotChanged = defineEvent('park.slot-changed', obj({ tenant, slot, occupied: bool }));

/** A tenant's park lot was set (REST): consoles showing its grid fetch it again. */
export const lotChanged = defineEvent('park.lot-changed', obj({ tenant }));

/** How long a remote park waits (the owner re-INVITEs the parked party to music). */
export const PARK_TIMEOUT_MS = 15_000;
/** How long a remote retrieve waits beyond the ringing time. */
export const RETRIEVE_SLACK_MS = 10_000;
