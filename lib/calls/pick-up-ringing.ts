import type Srf from 'drachtio-srf';
import type { MediaAnchor } from '../media';
import type { CallParty } from '../store';
import { hangUp } from '../sip/hang-up';
import { answerInvite } from './answer';
import type { Call } from './call';
import type { CallHost } from './call-host';
import { COMPLETED_ELSEWHERE } from './outbound-fork';
import { restrictToOffer } from '../sip/sdp-codecs';
import { respond } from '../sip/respond';

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

/**
 * Pickup by a phone (service example "Call Pickup", group/directed codes, or an INVITE
 * with Replaces, RFC 3891): the picker's INVITE answers the ringing call. The callee's
 * branches get CANCEL with `Reason: SIP;cause=200;text="Call completed elsewhere"`
 * (RFC 3326); the caller's INVITE is answered, its dialog never broken. 'gone': the call
 * is answered, ended or taken already; 'codec': the two offers share no codec;
 * 'cancelled': the picker's CANCEL came first (RFC 3261 9.2: the engine answered its
 * INVITE 487).
 *
 * The picker is answered before the caller, as connect() joins a callee before it
 * answers the caller: a picker that cancelled, or hung up at once, then leaves a caller
 * that was never answered, who gets a final response (480) instead of a 200 and a BYE.
 * A CANCEL before the pickup touched the call leaves it ringing.
 */
export async function pickUpRinging(host: CallHost, call: Call, req: Srf.SrfRequest, res: Srf.SrfResponse, picker: CallParty): Promise<'ok' | 'gone' | 'codec' | 'cancelled'> {
  let pickerCancelled = false;
  req.on('cancel', () => (pickerCancelled = true));
  const u = host.unanswered(call.id);
  if (!u || u.taken || call.state === 'answered' || call.state === 'ended' || !req.body) return 'gone';
  u.taken = true; // from here the fork's own answer, if any, is hung up
  const old = call.mediaCallId;
  let mediaCallId: string | undefined;
  try {
    const joined = await joinOffers(host.media, {
      mediaCallId: `${call.caller.callId}~pk`, callerOffer: u.offer, callerTag: call.caller.tag, pickerOffer: req.body, pickerTag: picker.tag,
    });
    if (!joined) {
      u.taken = false;
      return 'codec';
    }
    mediaCallId = joined.mediaCallId;
    u.fork.cancel(COMPLETED_ELSEWHERE);
    call.mediaCallId = joined.mediaCallId;
    call.setParty('callee', picker);
    if (pickerCancelled) throw new PickupCancelled();
    // each dialog is wired in the tick it exists (answerInvite): a picker's ACK with a
    // BYE right behind it must end the call, not leave the caller answered for ever
    let pickerJoined = false;
    await answerInvite(host.srf, req, res, joined.toPicker, (uasPicker) => (pickerJoined = host.join(call, 'callee', uasPicker)));
    if (!pickerJoined || call.is('ended')) {
      // the picker left before the caller was answered: the caller is refused, not answered and hung up
      if (!u.res.finalResponseSent) respond(u.res, 480, 'Temporarily Unavailable - Picker Left');
      await host.end(call, 'pickup-failed');
      await host.media.delete({ callId: old }).catch(() => undefined);
      return 'gone';
    }
    await answerInvite(host.srf, u.req, u.res, joined.toCaller, (uas) => {
      if (host.join(call, 'caller', uas)) call.to('answered');
    });
    await host.media.delete({ callId: old }).catch(() => undefined);
    if (!call.is('answered')) return 'ok';
    await host.persist(call).catch((e: Error) => call.log.warn('call record not saved', { error: e.message }));
    if (!call.is('answered')) return 'ok';
    host.emit((l) => l.onAnswered?.(call));
    call.log.info('call picked up', { by: picker.user });
    return 'ok';
  } catch (err) {
    // the call is the pickup's since `taken` (connect let go of it): end it here, or it
    // stays listed with its sessions for ever (a caller's CANCEL crossing the pickup)
    const cancelled = pickerCancelled || isCancelled(err);
    if (cancelled) call.log.info('pickup cancelled by the picker; the caller is refused', { by: picker.user });
    else call.log.error('pickup failed', { error: (err as Error).message });
    if (!u.res.finalResponseSent) respond(u.res, 480, cancelled ? 'Temporarily Unavailable - Pickup Cancelled' : 'Temporarily Unavailable');
    hangUp(call.uas);
    hangUp(call.uac);
    await host.end(call, cancelled ? 'pickup-cancelled' : 'pickup-failed');
    if (old !== call.mediaCallId) await host.media.delete({ callId: old }).catch(() => undefined);
    else if (mediaCallId) await host.media.delete({ callId: mediaCallId }).catch(() => undefined);
    if (cancelled) return 'cancelled';
    throw err;
  }
}

/** The picker's CANCEL reached us (RFC 3261 9.2); the engine has answered its INVITE 487. */
class PickupCancelled extends Error {
  constructor() {
    super('the picker cancelled');
  }
}

/** srf's createUAS fails with 487 when the INVITE it answers was cancelled. */
function isCancelled(err: unknown): boolean {
  return err instanceof PickupCancelled || (err as { status?: number } | undefined)?.status === 487;
}
