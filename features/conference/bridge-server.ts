import type { Logger } from 'winston';
import { LocalMediaSession, type EmbeddedMediaServer, type MediaSession } from '../../lib/media';
import { answerTarget, chosenPayloadType, sdpOffer, type G711PayloadType } from '../../lib/media/audio';
import type { ConferenceMixer } from './mixer';

/**
 * The embedded conference bridge, in this process: one mixer stream per member, joined
 * without SIP (a drachtio-server refuses requests to its own address, so the platform
 * never calls its own bridge through the engine). A member joins by the bridge's offer
 * and the member's answer (third-party call control, RFC 3725 4.1, in values), or by the
 * member's offer and the bridge's answer (a phone's own INVITE, RFC 3264 6.1). The
 * member leaves the mix when its session is released.
 */
export class BridgeServer {
  private members = 0;
  private readonly live = new Set<LocalMediaSession>();

  constructor(private readonly mixer: ConferenceMixer, private readonly logger: Logger) {}

  get activeMembers(): number {
    return this.members;
  }

  /** One member of one conference as a media server the call model can re-target a party to. */
  server(conference: string, member: string): EmbeddedMediaServer {
    return {
      kind: 'embedded', name: `bridge ${conference}/${member}`,
      open: () => this.open(conference, member),
      accept: (offer) => this.accept(conference, member, offer),
    };
  }

  /** The bridge offers (PCMU and PCMA); the member's answer says where its mix goes. */
  async open(conference: string, member: string): Promise<MediaSession> {
    const local = await this.addMember(conference, member, 0);
    return this.session(member, sdpOffer({ localAddress: local.address, localPort: local.port },
      { sessionId: Date.now(), version: 1, name: 'conference', direction: 'sendrecv' }));
  }

  /** The member offers; the bridge answers with the offer's preferred G.711 only (RFC 3264 6.1). */
  async accept(conference: string, member: string, offer: string): Promise<{ answer: string; session: MediaSession }> {
    const pt = chosenPayloadType(offer);
    if (pt === undefined) throw new Error('the bridge mixes PCMU and PCMA');
    const local = await this.addMember(conference, member, pt);
    const answer = onlyCodec(sdpOffer({ localAddress: local.address, localPort: local.port },
      { sessionId: Date.now(), version: 1, name: 'conference', direction: 'sendrecv' }), pt);
    const session = this.session(member, answer);
    // the member's offer plays the part of the answer: it says where the mix goes
    await session.answer(offer);
    return { answer, session };
  }

  private async addMember(conference: string, member: string, payloadType: G711PayloadType): Promise<{ address: string; port: number }> {
    try {
      return await this.mixer.addMember(conference, member, { payloadType, latch: true });
    } catch (err) {
      this.logger.warn('bridge: no mixer stream for a member', { conference, member, error: (err as Error).message });
      throw new Error(`bridge full: ${(err as Error).message}`, { cause: err });
    }
  }

  private session(member: string, sdp: string): LocalMediaSession {
    let joined = false;
    const session = new LocalMediaSession(sdp, {
      answer: async (remote) => {
        const pt = chosenPayloadType(remote);
        const target = answerTarget(remote);
        if (pt === undefined || !target) throw new Error('bridge: unusable SDP from the member (no G.711 or no address)');
        await this.mixer.setRemote(member, { ...target, payloadType: pt });
        if (!joined) {
          joined = true;
          this.members++;
        }
      },
      close: async () => {
        this.live.delete(session);
        if (joined) {
          joined = false;
          this.members--;
        }
        await this.mixer.removeMember(member).catch(() => undefined);
      },
    });
    this.live.add(session);
    return session;
  }

  /** Every member's session ends (the conference service is told), before the mixer stops. */
  async close(): Promise<void> {
    for (const s of [...this.live]) await s.gone();
  }
}

/** The offer's SDP reduced to one codec: the answer to an offer that chose it. */
function onlyCodec(sdp: string, pt: G711PayloadType): string {
  const name = pt === 0 ? 'PCMU' : 'PCMA';
  return sdp.replace(/^m=audio (\d+) RTP\/AVP 0 8$/m, `m=audio $1 RTP/AVP ${pt}`)
    .split('\r\n').filter((l) => !l.startsWith('a=rtpmap:') || l.includes(name)).join('\r\n');
}
