import type Srf from 'drachtio-srf';
import type { MediaAnchor } from '../media';
import { isHoldSdp } from '../sip/hold';
import { lastSentSdp, stampFor } from '../sip/sdp-origin';
import { opposite, type Call, type Side } from './call';
import { modify } from './modify';

export interface RelayEvents {
  held(side: Side): void;
  resumed(side: Side): void;
}

/**
 * A feature's chance to take a mid-call offer instead of the plain relay (music on hold
 * answers a hold itself and connects the held party to music). `relay` is the plain
 * behaviour, for an interceptor that only needs to act around it. Return true when the
 * request was answered.
 */
export type OfferInterceptor = (call: Call, from: Side, req: Srf.SrfRequest, res: Srf.SrfResponse,
  relay: () => Promise<void>) => Promise<boolean>;

interface SipError {
  status?: number;
}

/**
 * Carries one side's offer to the other through rtpengine (RFC 3264 across the B2BUA):
 * the offer rewritten with the sender's tag, sent on as a re-INVITE, the answer rewritten
 * back. A failure on the far side (491 glare, 488) is answered with the same status so
 * the sender retries as RFC 3261 14.1 says.
 */
export async function relayOffer(call: Call, media: MediaAnchor, from: Side, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
  const to = opposite(from);
  const dst = call.dialog(to);
  const src = call.dialog(from);
  if (!dst || !src) {
    // RFC 3261 14.2 / RFC 3311 5.2: the callee's offer while the caller is still being
    // answered meets an offer/answer in progress: 491, and the callee retries
    res.send(call.state === 'answered' ? 481 : 491);
    return;
  }
  if (!req.body) {
    // RFC 3311 5.2: an UPDATE without an offer (a session refresh, RFC 4028) gets a 2xx
    // without SDP; an offerless re-INVITE gets our current SDP as the offer (RFC 3261 14.2)
    if (req.method === 'UPDATE') res.send(200);
    else res.send(200, { body: lastSentSdp(src) });
    return;
  }
  try {
    const offer = await media.offer({ callId: call.mediaCallId, fromTag: call.tag(from), toTag: call.tag(to), sdp: req.body });
    // no retry here: a 491 goes back to the sender, which retries itself (RFC 3261 14.1)
    const answer = await modify(dst, offer);
    const back = await media.answer({ callId: call.mediaCallId, fromTag: call.tag(from), toTag: call.tag(to), sdp: answer });
    // RFC 3264 8: the answer on the sender's dialog keeps the o= we use there
    res.send(200, { body: stampFor(src, back) });
  } catch (err) {
    const status = (err as SipError).status;
    call.log.warn('mid-call offer failed', { from, status, error: (err as Error).message });
    res.send(status && status >= 400 ? status : 500);
  }
}

/**
 * Listens for re-INVITE and UPDATE (RFC 3311) on one party's dialog; keeps the call's
 * hold state. Offers on a dialog that is no longer the party's (released, replaced) are
 * refused with 481.
 */
export function relayOffers(call: Call, from: Side, d: Srf.Dialog, media: MediaAnchor, interceptors: readonly OfferInterceptor[], events: RelayEvents): void {
  {
    const handle = async (req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> => {
      if (call.dialog(from) !== d) {
        res.send(481);
        return;
      }
      const relay = (): Promise<void> => relayOffer(call, media, from, req, res);
      let taken = false;
      for (const i of interceptors) {
        if (await i(call, from, req, res, relay)) {
          taken = true;
          break;
        }
      }
      if (!taken) await relay();
      if (!req.body || res.statusCode !== 200) return;
      const hold = isHoldSdp(req.body);
      if (hold && call.held[from] === undefined) {
        call.held[from] = Date.now();
        events.held(from);
      } else if (!hold && call.held[from] !== undefined) {
        delete call.held[from];
        events.resumed(from);
      }
    };
    d.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => void handle(req, res));
    d.on('update', (req: Srf.SrfRequest, res: Srf.SrfResponse) => void handle(req, res));
  }
}
