import { bool, int, json, obj, oneOf, optional, str } from './guards';
import { defineOp } from './request-bus';

/** A call id as the REST API accepts it (lib/api/schemas.ts callIdSchema); the owner checks it again. */
const callId = str({ max: 256 });

/**
 * The operations one instance asks of the owner of a call. Declared here, once, so the
 * asker and the owner check the same shapes.
 */

/** BYE (or CANCEL) on both legs of a call the owner has; found false: it has no such call. */
export const callHangup = defineOp('call.hangup', {
  args: obj({ callId }),
  result: obj({ found: bool }),
});

/**
 * A REST request on a call (hold, resume, merge, park, ...) run by the owner as if its
 * client had sent it there: the owner authenticates the same bearer token and runs the
 * same route, so nothing feature-specific travels on the bus.
 */
export const restForward = defineOp('api.forward', {
  args: obj({
    method: oneOf(['POST', 'PUT', 'PATCH', 'DELETE'] as const),
    url: str({ max: 2048 }),
    authorization: str({ min: 0, max: 4096, charset: 'any' }),
    body: optional(json),
  }),
  result: obj({ status: int({ min: 100, max: 599 }), body: json }),
});

/** How long a hang-up waits for the owner (a BYE is quick; the client should not wait long). */
export const HANGUP_TIMEOUT_MS = 5_000;
/** How long a forwarded REST request waits (a hold re-INVITEs a party and a music server). */
export const FORWARD_TIMEOUT_MS = 15_000;
