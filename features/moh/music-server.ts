import type { Logger } from 'winston';
import { LocalMediaSession, type EmbeddedMediaServer, type MediaSession } from '../../lib/media';
import { defaultMusic, readWav } from './music/default-music';
import { answerTarget, chosenPayloadType, MusicStream, sdpOffer, type ListenerHandle } from './music/music-stream';

/** What a music class plays: the default music, or an operator's WAV file. */
export interface MusicSource {
  key: string;
  file?: string;
}

/**
 * The embedded music server, in this process (no SIP: a drachtio-server refuses requests
 * to its own address, so the platform never calls its own music server through the
 * engine). A session is third-party call control without the INVITE (RFC 3725 4.1 in
 * values): the server's offer (RFC 3264: send-only G.711), the party's answer, then its
 * class's music streamed to the address the answer names, one shared stream per class
 * (one clock, one loop position), until the session is released.
 */
export class MusicServer {
  private readonly streams = new Map<string, Promise<MusicStream>>();
  private readonly live = new Set<LocalMediaSession>();
  private listeners = 0;

  constructor(private readonly bindAddress: string, private readonly logger: Logger) {}

  /** listeners the music is streamed to now */
  get activeSessions(): number {
    return this.listeners;
  }

  /** A class as a media server the call model can re-target a party to (lib/calls attachMediaServer). */
  server(source: MusicSource): EmbeddedMediaServer {
    return { kind: 'embedded', name: `music ${source.key}`, open: () => this.open(source) };
  }

  async open(source: MusicSource): Promise<MediaSession> {
    let stream: MusicStream;
    try {
      stream = await this.stream(source);
    } catch (err) {
      this.logger.error('music source unusable', { source: source.key, error: (err as Error).message });
      throw new Error(`music source ${source.key} unusable`, { cause: err });
    }
    let listener: ListenerHandle | undefined;
    const session = new LocalMediaSession(sdpOffer(stream, { sessionId: Date.now(), version: 1 }), {
      answer: (sdp) => {
        const pt = chosenPayloadType(sdp);
        const target = answerTarget(sdp);
        if (pt === undefined || !target) throw new Error('music answer unusable: no G.711 or no address');
        listener = stream.addListener({ address: target.address, port: target.port, payloadType: pt });
        this.listeners++;
      },
      close: () => {
        this.live.delete(session);
        if (!listener || listener.removed) return;
        listener.remove();
        this.listeners--;
      },
    });
    this.live.add(session);
    return session;
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

  /** Every session ends (whoever holds one is told), then the streams close. */
  async close(): Promise<void> {
    for (const s of [...this.live]) await s.gone();
    for (const s of this.streams.values()) await (await s.catch(() => undefined))?.close();
    this.streams.clear();
  }
}
