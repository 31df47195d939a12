import type Srf from 'drachtio-srf';
import { modifyWithRetry } from '../../lib/calls';
import type { MediaAnchor } from '../../lib/media';
import { withDirection } from '../../lib/sip/hold';

/**
 * The two offers that join a transferee (a party in a dialog with us) and a target in a
 * new rtpengine session, without an offerless INVITE (so any phone can be the target):
 *
 *   1. `towardTarget`: the transferee's last SDP, as sendrecv (the transferor may have
 *      held it: its SDP then says recvonly), offered into the new session; its result
 *      goes to the target, in a new INVITE (blind) or a re-INVITE (attended).
 *   2. `moveTransferee`: once the target answered, the target's SDP offered back through
 *      the session to the transferee in a re-INVITE (RFC 3261 14.1), whose answer
 *      completes the session. Until then the transferee keeps its old media.
 */
export async function towardTarget(media: MediaAnchor, mediaCallId: string, transfereeTag: string, transfereeSdp: string): Promise<string> {
  return media.offer({ callId: mediaCallId, fromTag: transfereeTag, sdp: withDirection(transfereeSdp, 'sendrecv') });
}

export async function moveTransferee(media: MediaAnchor, p: {
  mediaCallId: string; transferee: Srf.Dialog; transfereeTag: string; targetTag: string; targetSdp: string;
}): Promise<void> {
  await media.answer({ callId: p.mediaCallId, fromTag: p.transfereeTag, toTag: p.targetTag, sdp: p.targetSdp });
  const offer = await media.offer({ callId: p.mediaCallId, fromTag: p.targetTag, toTag: p.transfereeTag, sdp: p.targetSdp });
  const answer = await modifyWithRetry(p.transferee, offer);
  await media.answer({ callId: p.mediaCallId, fromTag: p.targetTag, toTag: p.transfereeTag, sdp: answer });
}
