import type { Call, CallManager, Side } from '../../lib/calls';
import type { Replaces } from '../../lib/sip/replaces';

export interface FoundLeg {
  call: Call;
  /** the side whose dialog the Replaces names */
  side: Side;
}

/**
 * The confirmed dialog of a call on this instance that a Replaces names (RFC 3891 3:
 * Call-ID, to-tag and from-tag). The tags are compared as a pair in either order: a
 * phone naming its own dialog with us (a REFER's Refer-To) and a phone naming it as
 * our side sees it (an INVITE with Replaces) both find it.
 */
export function findConfirmedLeg(calls: CallManager, r: Replaces): FoundLeg | undefined {
  for (const call of calls.list()) {
    if (!call.is('answered')) continue;
    for (const side of ['caller', 'callee'] as const) {
      const d = call.dialog(side);
      if (!d || d.sip.callId !== r.callId) continue;
      const { localTag, remoteTag } = d.sip;
      if ((localTag === r.toTag && remoteTag === r.fromTag) || (localTag === r.fromTag && remoteTag === r.toTag)) return { call, side };
    }
  }
  return undefined;
}

/** The party of `other` that is not the transferor (by user); undefined when that does not pick exactly one. */
export function targetSide(other: Call, transferorUser: string): Side | undefined {
  const not = (['caller', 'callee'] as const).filter((s) => other[s].user !== transferorUser);
  return not.length === 1 ? not[0] : undefined;
}
