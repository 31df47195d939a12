/**
 * What the call model needs of a media relay. Tags are SIP dialog tags as rtpengine sees
 * them: one call-id and one tag per party (a B2BUA uses its A-leg call-id and picks the
 * tags), so a re-INVITE from either side is an `offer` with that side's tag as `fromTag`.
 */
export interface MediaAnchor {
  /**
   * Rewrite an SDP offer from leg `fromTag` so media flows through rtpengine; returns the
   * SDP to send on. Also for re-offers (hold, resume, re-target): same call-id and tags,
   * rtpengine keeps its ports and passes the direction attribute through.
   */
  offer(p: OfferParams): Promise<string>;
  /** Rewrite the answer from leg `toTag` (to the offer that came from `fromTag`). */
  answer(p: AnswerParams): Promise<string>;
  /** End the media session (or one leg/monologue if tags given). Deleting what is gone is not an error. */
  delete(p: DeleteParams): Promise<void>;
  /** Call ids rtpengine currently holds (ng `list`). */
  list(): Promise<string[]>;
  /**
   * Packets (RTP and RTCP) the session has received from all its parties so far (ng
   * `query`): a count that stops moving means no media comes any more. Never throws:
   * undefined when the relay could not say (unknown call-id, no answer).
   */
  mediaPackets(callId: string): Promise<number | undefined>;
  /** true if rtpengine answered within the timeout; never throws */
  ping(): Promise<boolean>;
  /** ng `play media` of a WAV/raw file to the leg with this tag (announcements); resolves once started */
  /** plays to the party with that tag; rtpengine reports how long the file plays, if it knows */
  playMedia(p: PlayMediaParams): Promise<{ durationMs?: number }>;
  stopMedia(p: { callId: string; fromTag: string }): Promise<void>;
  /** ng `block media`: drop what the party with this tag sends (rtpengine does not enforce a=sendonly) */
  blockMedia(p: { callId: string; fromTag: string }): Promise<void>;
  unblockMedia(p: { callId: string; fromTag: string }): Promise<void>;
}

export interface OfferParams {
  callId: string;
  fromTag: string;
  sdp: string;
  /** the other party's tag, for a re-offer from the callee side (optional: rtpengine finds it) */
  toTag?: string;
  viaBranch?: string;
}

export interface AnswerParams {
  callId: string;
  fromTag: string;
  toTag: string;
  sdp: string;
}

export interface DeleteParams {
  callId: string;
  fromTag?: string;
  toTag?: string;
}

export interface PlayMediaParams {
  callId: string;
  fromTag: string;
  /** a path rtpengine can read (it runs on this host); any format its ffmpeg decodes */
  file?: string;
  /**
   * or the file's bytes, sent in the ng request itself (rtpengine needs no shared disk);
   * it travels in one UDP datagram, so keep it well under 64 KiB (mu-law WAV)
   */
  blob?: Buffer;
  /** how many times to play it; rtpengine's default is once */
  repeatTimes?: number;
}
