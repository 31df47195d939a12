import type Srf from 'drachtio-srf';
import type { MediaAnchor } from '../media';
import { isHoldSdp } from '../sip/hold';
import type { Call, Side } from './call';

export interface RelayEvents {
  held(side: Side): void;
  resumed(side: Side): void;
}

interface SipError {
  status?: number;
}

/**
 * Mid-call offers from one side (re-INVITE or UPDATE, RFC 3311) carried to the other
 * through rtpengine: offer rewritten with the sender's tag, sent on as a re-INVITE,
 * the answer rewritten back (RFC 3264 offer/answer across the B2BUA). A failure on the
 * far side (491 glare, 488) is answered to the sender with the same status, so it can
 * retry as RFC 3261 14.1 says.
 */
export function relayOffers(call: Call, media: MediaAnchor, events: RelayEvents): void {
  const wire = (from: Side, to: Side): void => {
    const src = call.dialog(from);
    const dst = call.dialog(to);
    if (!src || !dst) return;
    const handle = async (req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> => {
      if (!req.body) {
        // an offerless re-INVITE: our current SDP is the offer (RFC 3261 14.2)
        res.send(200, { body: src.local.sdp });
        return;
      }
      try {
        const offer = await media.offer({ callId: call.mediaCallId, fromTag: call.tag(from), toTag: call.tag(to), sdp: req.body });
        const answer = await dst.modify(offer);
        const back = await media.answer({ callId: call.mediaCallId, fromTag: call.tag(from), toTag: call.tag(to), sdp: answer });
        res.send(200, { body: back });
        const hold = isHoldSdp(req.body);
        if (hold && call.held[from] === undefined) {
          call.held[from] = Date.now();
          events.held(from);
        } else if (!hold && call.held[from] !== undefined) {
          delete call.held[from];
          events.resumed(from);
        }
      } catch (err) {
        const status = (err as SipError).status;
        call.log.warn('mid-call offer failed', { from, status, error: (err as Error).message });
        res.send(status && status >= 400 ? status : 500);
      }
    };
    src.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => void handle(req, res));
    src.on('update', (req: Srf.SrfRequest, res: Srf.SrfResponse) => void handle(req, res));
  };
  wire('caller', 'callee');
  wire('callee', 'caller');
}
