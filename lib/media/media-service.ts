/*
 * A media server session, whoever runs it (DESIGN: music on hold, park and conference
 * all re-target a party to a media server). Its life, in RFC 3264 offer/answer terms:
 *
 *   open --server's offer--> offered --answer(party's answer)--> running --release / gone--> ended
 *                                |
 *                                +--release (the party never answered)--> ended
 *
 * Two kinds of server give such a session: an external SIP media server by URI, reached
 * by an INVITE without SDP (RFC 3725 4.1: its offer in the 200, the answer in the ACK;
 * lib/calls/media-session.ts), and an embedded one that runs in this process (music
 * stream, bridge member), whose offer and answer are passed as values: no SIP, so no
 * request to the engine's own address (which a drachtio-server refuses).
 */
export interface MediaSession {
  /** the media server's SDP: its offer, or its answer when the party offered (`accept`) */
  readonly serverSdp: string;
  /** the party's answer (through rtpengine): the media runs from now on */
  answer(sdp: string): Promise<void>;
  /** ends the session (idempotent); the party is left where it is */
  release(): Promise<void>;
  /** the media server ended the session itself (its BYE, its service stopped) */
  onGone(cb: () => void): void;
}

/** An external media server: a SIP URI and the headers its INVITE carries. */
export interface SipMediaServer {
  kind: 'sip';
  uri: string;
  headers: Record<string, string>;
}

/** A media server in this process, registered by the feature that runs it. */
export interface EmbeddedMediaServer {
  kind: 'embedded';
  /** for logs: what it is (`music tenant/class`, `bridge conference/member`) */
  name: string;
  /** a session whose offer is the server's (third-party call control without SIP) */
  open(): Promise<MediaSession>;
  /** a session answering the party's own offer (a phone joining by its INVITE); unset: offers only */
  accept?(offer: string): Promise<{ answer: string; session: MediaSession }>;
}

export type MediaServerTarget = SipMediaServer | EmbeddedMediaServer;

export function describeTarget(t: MediaServerTarget): string {
  return t.kind === 'sip' ? t.uri : `embedded ${t.name}`;
}

/**
 * A session of an embedded server: the server supplies its offer and what to do with the
 * answer and at the end; `gone()` is the server ending it (its service closes).
 */
export class LocalMediaSession implements MediaSession {
  private state: 'offered' | 'running' | 'ended' = 'offered';
  private readonly goneCallbacks: Array<() => void> = [];

  /** `close` may run twice (a release while the answer was being applied): it undoes whatever is there */
  constructor(readonly serverSdp: string, private readonly hooks: { answer(sdp: string): Promise<void> | void; close(): Promise<void> | void }) {}

  get ended(): boolean {
    return this.state === 'ended';
  }

  async answer(sdp: string): Promise<void> {
    if (this.state !== 'offered') throw new Error(`media session ${this.state}: no answer expected`);
    await this.hooks.answer(sdp);
    // released while the answer was being applied: the close undoes it
    if (this.ended) {
      await this.hooks.close();
      throw new Error('media session released while answering');
    }
    this.state = 'running';
  }

  async release(): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    await this.hooks.close();
  }

  /** The server ends the session: released, and whoever holds it is told. */
  async gone(): Promise<void> {
    if (this.state === 'ended') return;
    await this.release();
    for (const cb of this.goneCallbacks.splice(0)) cb();
  }

  onGone(cb: () => void): void {
    if (this.state === 'ended') return;
    this.goneCallbacks.push(cb);
  }
}

/**
 * The embedded media services features offer each other through the platform (DESIGN: a
 * feature never imports another): the moh feature registers its music server here, and
 * park asks it for the music of a class.
 */
export interface EmbeddedMusic {
  /** a tenant's music class (`file`: an operator's WAV; unset: the default music) as an in-process server */
  server(tenant: string, className: string, file?: string): EmbeddedMediaServer;
}

export class EmbeddedServices {
  music?: EmbeddedMusic;
}
