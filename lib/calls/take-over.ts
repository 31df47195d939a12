import type { MediaAnchor } from '../media';
import { restrictToOffer } from '../sip/sdp-codecs';

export interface JoinedOffers {
  mediaCallId: string;
  /** the answer to the caller's INVITE: rtpengine's side toward the caller, the picker's codecs */
  toCaller: string;
  /** the answer to the picker's INVITE */
  toPicker: string;
}

/**
 * Two parties that both made offers (the ringing caller, whose INVITE is still
 * unanswered, and a picker dialing in) joined through one new rtpengine session: the
 * picker's offer goes in as the offer, the caller's as the answer to it. Each party then
 * gets rtpengine's SDP cut down to the codecs of its own offer (RFC 3264 6.1). No media
 * is touched if they share no codec (undefined, the picker gets 488).
 */
export async function joinOffers(media: MediaAnchor, p: {
  mediaCallId: string; callerOffer: string; callerTag: string; pickerOffer: string; pickerTag: string;
}): Promise<JoinedOffers | undefined> {
  if (!restrictToOffer(p.pickerOffer, p.callerOffer)) return undefined;
  const towardCaller = await media.offer({ callId: p.mediaCallId, fromTag: p.pickerTag, sdp: p.pickerOffer });
  const towardPicker = await media.answer({ callId: p.mediaCallId, fromTag: p.pickerTag, toTag: p.callerTag, sdp: p.callerOffer });
  const toCaller = restrictToOffer(towardCaller, p.callerOffer);
  const toPicker = restrictToOffer(towardPicker, p.pickerOffer);
  if (!toCaller || !toPicker) {
    await media.delete({ callId: p.mediaCallId });
    return undefined;
  }
  return { mediaCallId: p.mediaCallId, toCaller, toPicker };
}
