import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import { awaitAck } from '../../lib/calls';
import { respond } from '../../lib/sip/respond';
import { hangUp } from '../../lib/sip/hang-up';
import { defaultMusic, readWav } from './music/default-music';
import { answerTarget, chosenPayloadType, MusicStream, sdpOffer } from './music/music-stream';

/** What a music class plays: the default music, or an operator's WAV file. */
export interface MusicSource {
  key: string;
  file?: string;
}

/**
 * The embedded music server: a SIP user agent on the platform's own engine that answers
 * an offerless INVITE with an offer (RFC 3264: the offer in the 200, the answer in the
 * ACK; RFC 3725 4.1) and streams its class's music to whoever answered, one shared
 * stream per class (one clock, one loop position), until the BYE.
 */
export class MusicServer {
  private readonly streams = new Map<string, Promise<MusicStream>>();
  private sessions = 0;

  constructor(private readonly srf: Srf, private readonly bindAddress: string, private readonly logger: Logger) {}

  get activeSessions(): number {
    return this.sessions;
  }

  async handle(req: Srf.SrfRequest, res: Srf.SrfResponse, source: MusicSource): Promise<void> {
    if (req.body) {
      // the music server makes the offer itself; an INVITE with one is not what 3pcc sends
      respond(res, 488, 'Not Acceptable Here - send the INVITE without SDP');
      return;
    }
    let stream: MusicStream;
    try {
      stream = await this.stream(source);
    } catch (err) {
      this.logger.error('music source unusable', { source: source.key, error: (err as Error).message });
      respond(res, 500, 'Server Internal Error - music source unusable');
      return;
    }
    const offer = sdpOffer(stream, { sessionId: Date.now(), version: 1 });
    const dialog = await this.srf.createUAS(req, res, { localSdp: offer });
    // the answer comes in the ACK (srf resolves the dialog at the 200)
    if (!(await awaitAck(dialog))) return;
    const answer = dialog.remote.sdp;
    const pt = answer ? chosenPayloadType(answer) : undefined;
    const target = answer ? answerTarget(answer) : undefined;
    if (pt === undefined || !target) {
      this.logger.warn('music answer unusable; hanging up', { answer });
      hangUp(dialog);
      return;
    }
    this.sessions++;
    const listener = stream.addListener({ address: target.address, port: target.port, payloadType: pt });
    dialog.on('destroy', () => {
      listener.remove();
      this.sessions--;
    });
  }

  private stream(source: MusicSource): Promise<MusicStream> {
    let s = this.streams.get(source.key);
    if (!s) {
      s = (async () => {
        const samples = source.file ? readWav(source.file).samples : defaultMusic();
        const stream = new MusicStream({ samples, bindAddress: this.bindAddress, logger: this.logger });
        await stream.open();
        return stream;
      })();
      s.catch(() => this.streams.delete(source.key));
      this.streams.set(source.key, s);
    }
    return s;
  }

  async close(): Promise<void> {
    for (const s of this.streams.values()) await (await s.catch(() => undefined))?.close();
    this.streams.clear();
  }
}
