import { defineOp, guards, type Op } from '../../lib/bus';

const { int, obj, oneOf, optional, str } = guards;

/** RFC 3261 25.1: Call-IDs and tags are visible ASCII (word, token) */
const sipWord = str({ max: 256, charset: 'printable' });
const side = oneOf(['caller', 'callee'] as const);

/**
 * An attended transfer whose two calls live on different instances (issue 18 point 4:
 * the edge hashes by Call-ID, so the transferor's two calls may land apart). The
 * instance that has the transferee asks the owner of the other call to get it ready:
 *
 *   transferee's instance                    owner of the consultation call
 *   REFER (Replaces) or REST {toCall} ---->  transfer.prepare: the leg to replace is
 *                                            found and checked, a one-time ticket made
 *            <---- {uri: sip:transfer~<ticket>@<owner's engine>, target}
 *   INVITE uri (the transferee's media,       the ticket's leg is replaced by this
 *   internal token)                 ---->     INVITE (RFC 3891 semantics): the target
 *                                             is re-INVITEd to it, the transferor's leg
 *            <---- 200                        gets its BYE
 *   the transferee is re-INVITEd to the new leg, the transferor's leg here gets its BYE
 *
 * The call then runs through both instances (transferee - here - owner - target), each
 * instance keeping the dialogs its engine holds. The consultation call is named either by
 * the dialog a Replaces names (a phone's REFER) or by its id and the target's side (REST).
 */
export const prepareOp = defineOp('transfer.prepare', {
  args: obj({
    tenant: str({ max: 253 }),
    /** RFC 3891: the transferor's dialog with the owner, as the REFER's Refer-To named it */
    dialog: optional(obj({ callId: sipWord, toTag: sipWord, fromTag: sipWord })),
    /** REST: the consultation call's id, and its party that is the target (default: the one that is not `transferor`) */
    call: optional(obj({ id: str({ max: 256 }), target: optional(side) })),
    /** the transferor's user: the party of the consultation call that is not the target */
    transferor: str({ max: 128 }),
  }),
  result: obj({
    uri: optional(str({ max: 1024, charset: 'printable' })),
    /** the target's user: the transferee's new party */
    target: optional(str({ max: 128 })),
    /** why the owner refused: a TransferError code, and the SIP status for the REFER */
    refused: optional(oneOf(['no-call', 'other-tenant', 'not-answered', 'parked', 'in-progress', 'ambiguous'] as const)),
    status: optional(int({ min: 400, max: 699 })),
    message: optional(str({ max: 1024, charset: 'any' })),
  }),
});

export type PrepareArgs = typeof prepareOp extends Op<infer A, unknown> ? A : never;
export type PrepareResult = typeof prepareOp extends Op<unknown, infer R> ? R : never;

/** How long the transferee's instance waits for the owner to get ready (it looks up a call in memory). */
export const PREPARE_TIMEOUT_MS = 5_000;
/** How long a ticket waits for the transferee's INVITE (the transferee's instance sends it at once). */
export const TICKET_TTL_MS = 32_000;
