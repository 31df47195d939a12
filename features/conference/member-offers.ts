import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { MediaAnchor } from '../../lib/media';
import { answeringDirection, isHoldSdp, sdpDirection, withDirection } from '../../lib/sip/hold';

/** A member's media path into the bridge: one rtpengine session, the member's tag and the bridge's. */
export interface MemberMedia {
  mediaCallId: string;
  memberTag: string;
  bridgeTag: string;
  /** the bridge's SDP in that session (its offer or its answer) */
  bridgeSdp(): string;
}

/*
 * A member's own offers in the bridge (re-INVITE or UPDATE from its phone). The bridge
 * needs no new description, so the offer goes through rtpengine (the member may have moved
 * its media) and is answered with the bridge's SDP in the direction that answers it
 * (RFC 3264 6.1). A hold (RFC 3264 8.4: sendonly, inactive, or c=0.0.0.0) takes the
 * member's audio out of the mix, so a phone's own hold music never reaches the others;
 * the resume puts it back.
 *
 *   mixed --hold offer--> held (its media blocked in rtpengine) --resume offer--> mixed
 */
export class MemberOffers {
  private held = false;

  /** `onHoldChange`: the member went on hold or came back (after the mix changed) */
  constructor(private readonly media: MediaAnchor, private readonly m: MemberMedia, private readonly log: Logger,
    private readonly onHoldChange: () => void = () => undefined) {}

  get onHold(): boolean {
    return this.held;
  }

  /** Answers the member's offers on `party` from now on. */
  listen(party: Srf.Dialog): void {
    const handle = (req: Srf.SrfRequest, res: Srf.SrfResponse): void => void this.answer(party, req, res);
    party.on('modify', handle);
    party.on('update', handle);
  }

  private async answer(party: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    if (!req.body) {
      // an offerless re-INVITE: our current SDP is the offer (RFC 3261 14.2)
      res.send(200, { body: party.local.sdp });
      return;
    }
    const { mediaCallId, memberTag, bridgeTag } = this.m;
    try {
      await this.media.offer({ callId: mediaCallId, fromTag: memberTag, toTag: bridgeTag, sdp: req.body });
      const back = await this.media.answer({
        callId: mediaCallId, fromTag: memberTag, toTag: bridgeTag, sdp: withDirection(this.m.bridgeSdp(), answeringDirection(sdpDirection(req.body))),
      });
      const hold = isHoldSdp(req.body);
      if (hold !== this.held) {
        if (hold) await this.media.blockMedia({ callId: mediaCallId, fromTag: memberTag });
        else await this.media.unblockMedia({ callId: mediaCallId, fromTag: memberTag });
        this.held = hold;
        this.log.info(hold ? 'conference member on hold: out of the mix' : 'conference member resumed: back in the mix');
        this.onHoldChange();
      }
      party.local.sdp = back;
      res.send(200, { body: back });
    } catch (err) {
      this.log.warn('conference: a member\'s offer failed', { error: (err as Error).message });
      res.send(500);
    }
  }
}
