import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import { attachMediaServer, modifyWithRetry, opposite, reconnect, type Call, type CallManager, type MediaServerLeg, type OfferInterceptor, type Side } from '../../lib/calls';
import { describeTarget, type MediaAnchor, type MediaServerTarget } from '../../lib/media';
import { isHoldSdp } from '../../lib/sip/hold';
import { holdAnswer } from './sdp-direction';

export interface HoldControllerDeps {
  srf: Srf;
  media: MediaAnchor;
  calls: CallManager;
  logger: Logger;
  /** the music server for the party about to be held, or undefined when MoH is off for it */
  musicFor(call: Call, held: Side): Promise<MediaServerTarget | undefined>;
}

/**
 * Music on hold by third-party call control (service example "Music On Hold", RFC
 * 3725): a hold from one party is answered by the server itself, and the other party is
 * re-targeted to a music server; the resume releases the music leg and reconnects the
 * two parties with the ordinary relay. If the music server fails, the held party gets
 * the plain hold instead and the call goes on.
 */
export class HoldController {
  private readonly legs = new Map<string, MediaServerLeg>();

  constructor(private readonly deps: HoldControllerDeps) {}

  /** the party of a call that is hearing music now, if any */
  onMusic(callId: string): Side | undefined {
    return this.legs.get(callId)?.side;
  }

  get activeLegs(): number {
    return this.legs.size;
  }

  readonly interceptor: OfferInterceptor = async (call, from, req, res, relay) => {
    if (!req.body) return false;
    const held = opposite(from);
    const leg = this.legs.get(call.id);
    if (isHoldSdp(req.body)) {
      if (leg) {
        // a hold refresh while the other side hears music: answer it again, nothing moves
        await this.answerHolder(call, from, req, res);
        return true;
      }
      const music = await this.deps.musicFor(call, held);
      if (!music) return false;
      const offerForHeld = await this.answerHolder(call, from, req, res);
      try {
        if (!(await this.attach(call, held, music))) return true;
        await this.silence(call, from, true);
        // `held` names the party that held (as REST's `held.caller` does), `music` the one hearing the music
        call.log.info('music on hold', { held: from, music: held, source: describeTarget(music) });
      } catch (err) {
        call.log.warn('music server unavailable; plain hold instead', { music: describeTarget(music), error: (err as Error).message });
        await this.plainHold(call, held, offerForHeld);
      }
      return true;
    }
    if (leg && leg.side === held) {
      // resume: music off, then the ordinary relay re-INVITEs the held party back into the call
      this.legs.delete(call.id);
      await leg.release();
      await this.silence(call, from, false);
      await relay();
      return true;
    }
    return false;
  };

  /** Music for `party` on the server's own initiative (REST): the other side is not asked. */
  async hold(call: Call, party: Side): Promise<void> {
    if (this.legs.has(call.id)) throw new Error('already on hold');
    const music = await this.deps.musicFor(call, party);
    if (!music) throw new Error('music on hold is off');
    if (!(await this.attach(call, party, music))) throw new Error('the call ended');
    await this.silence(call, opposite(party), true);
    this.deps.calls.setHeld(call, opposite(party), true);
  }

  /** Ends the music the server started, and reconnects the party (REST). */
  async resume(call: Call): Promise<boolean> {
    const leg = this.legs.get(call.id);
    if (!leg) return false;
    this.legs.delete(call.id);
    await leg.release();
    await this.silence(call, opposite(leg.side), false);
    await reconnect(this.deps.media, call, leg.side);
    this.deps.calls.setHeld(call, opposite(leg.side), false);
    return true;
  }

  /**
   * Connects `party` to the music and keeps the leg; false when the call ended while the
   * music was being attached (a BYE during the re-INVITE): `ended` found no leg to release
   * then, so it is released here, or its media session and music listener would outlive
   * the call.
   */
  private async attach(call: Call, party: Side, music: MediaServerTarget): Promise<boolean> {
    const leg = await attachMediaServer(this.deps.srf, this.deps.media, call, party, music);
    if (call.state === 'ended' || !call.dialog(party)) {
      await leg.release().catch((err: Error) => this.deps.logger.warn('music leg release failed', { error: err.message }));
      return false;
    }
    this.legs.set(call.id, leg);
    return true;
  }

  /**
   * The holder's hold ended without its resume passing through here (a transfer moved the
   * held party to a new session, and said so with CallManager.setHeld): the music leg
   * goes, or the music server would keep streaming to the party's address.
   */
  async released(call: Call, holder: Side): Promise<void> {
    const leg = this.legs.get(call.id);
    if (!leg || leg.side !== opposite(holder)) return;
    await this.ended(call);
  }

  /**
   * rtpengine restarted (issue #14): the held party's music session is gone. The music is
   * attached again (RFC 3725 4.1: a re-INVITE to the held party with the new rtpengine's
   * SDP). The holder is not asked: it sends nothing we relay while it holds, and its
   * resume is relayed as an offer, which builds the call's session anew. False when no
   * music of this call is ours.
   */
  async mediaRestarted(call: Call): Promise<boolean> {
    const leg = this.legs.get(call.id);
    if (!leg) return false;
    const music = await this.deps.musicFor(call, leg.side);
    if (!music) return false;
    this.legs.delete(call.id);
    await leg.release().catch((err: Error) => call.log.debug('the lost music session was not released', { error: err.message }));
    if (await this.attach(call, leg.side, music)) call.log.info('music on hold back after an rtpengine restart');
    return true;
  }

  /** The call ended (either party hung up): the music leg goes with it. */
  async ended(call: Call): Promise<void> {
    const leg = this.legs.get(call.id);
    if (!leg) return;
    this.legs.delete(call.id);
    await leg.release().catch((err: Error) => this.deps.logger.warn('music leg release failed', { error: err.message }));
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.legs.values()].map((l) => l.release()));
    this.legs.clear();
  }

  /**
   * While the other party hears music, nothing the holder sends may reach it: rtpengine
   * relays whatever arrives whatever a=sendonly says, so the holder's media is blocked in
   * the call's session (many phones keep sending, some play their own music).
   */
  private async silence(call: Call, holder: Side, on: boolean): Promise<void> {
    const p = { callId: call.mediaCallId, fromTag: call.tag(holder) };
    try {
      await (on ? this.deps.media.blockMedia(p) : this.deps.media.unblockMedia(p));
    } catch (err) {
      call.log.warn('block/unblock media failed', { holder, on, error: (err as Error).message });
    }
  }

  /** The holder's hold, answered by the server: the held party's last SDP turned recvonly. */
  private async answerHolder(call: Call, from: Side, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<string> {
    const held = opposite(from);
    const heldDialog = call.dialog(held);
    if (!heldDialog) throw new Error('no dialog for the held party');
    const { media } = this.deps;
    const offer = await media.offer({ callId: call.mediaCallId, fromTag: call.tag(from), toTag: call.tag(held), sdp: req.body });
    const answer = await media.answer({ callId: call.mediaCallId, fromTag: call.tag(from), toTag: call.tag(held), sdp: holdAnswer(heldDialog.remote.sdp, req.body) });
    res.send(200, { body: answer });
    return offer;
  }

  private async plainHold(call: Call, held: Side, offer: string): Promise<void> {
    const d = call.dialog(held);
    if (!d) return;
    try {
      const answer = await modifyWithRetry(d, offer);
      const from = opposite(held);
      await this.deps.media.answer({ callId: call.mediaCallId, fromTag: call.tag(from), toTag: call.tag(held), sdp: answer });
    } catch (err) {
      call.log.warn('plain hold failed', { error: (err as Error).message });
    }
  }
}
