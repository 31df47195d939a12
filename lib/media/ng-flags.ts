import type { NgParams } from 'rtpengine-client';
import { parse } from 'sdp-transform';

/*
 * The ng options this B2BUA sends with every offer and answer, and why.
 *
 * The feature server serves SIP phones and trunks through an edge SBC; WebRTC (ICE and
 * DTLS-SRTP) is terminated at that edge, never here. Both legs are therefore plain SIP
 * media on one host, and rtpengine's job is to anchor it, not to adapt it.
 */
const COMMON: NgParams = {
  // RFC 4566 5.2 / 5.7: the o= and session-level c= must name the host that now
  // terminates the media (rtpengine), or a peer that reads the session-level c= (or
  // checks o= on re-INVITE) sends to the other party's address and bypasses the anchor.
  replace: ['origin', 'session-connection'],
  // ICE candidates from one leg are meaningless to the other once rtpengine is in the
  // path (RFC 8445 would have the far side probe the near side's addresses).
  ICE: 'remove',
  // Never start a DTLS handshake (RFC 5763) toward a SIP phone that did not ask for it.
  DTLS: 'off',
  // Recording is a per-call decision made by a feature through its own command, not a default.
  'record call': 'no',
  // No `codec` options: codecs pass through as offered (RFC 3264 6: the answerer picks
  // from the offer), so rtpengine never transcodes unless a feature asks it to.
};

/** rtpengine is told to offer plain RTP/AVP to the far side only when this offer is not plain. */
const PLAIN = 'RTP/AVP';

/**
 * Options for an `offer` (initial or re-offer, from either side).
 *
 * When a leg offers SRTP (RTP/SAVP with SDES keys, RFC 4568), the other leg still gets a
 * plain RTP/AVP offer and rtpengine does the crypto on the SRTP side; `SDES: off` keeps
 * rtpengine from offering its own SDES keys on the plain side. `transport-protocol` is
 * sent only for a non-plain offer: on a plain re-offer rtpengine keeps the protocol each
 * side already negotiated (verified on 10.5: an SRTP caller stays RTP/SAVP when the plain
 * callee re-INVITEs it for hold), whereas forcing RTP/AVP there would downgrade that caller.
 *
 * `rtcp-mux: demux`: accept RFC 5761 muxing from a leg that offers it, but do not impose
 * it on the other leg (many phones do not support it).
 */
export function offerOptions(sdp: string): NgParams {
  return {
    ...COMMON,
    SDES: ['off'],
    'rtcp-mux': ['demux'],
    ...(isPlainRtp(sdp) ? {} : { 'transport-protocol': PLAIN }),
  };
}

/** Options for an `answer`: the protocol and muxing were settled by the offer. */
export function answerOptions(): NgParams {
  return { ...COMMON };
}

/** Options for `delete`: free ports and forget the call now, not after rtpengine's delete-delay. */
export function deleteOptions(): NgParams {
  // rtpengine keeps a deleted call (and relays its media) for --delete-delay seconds,
  // 30 by default; a B2BUA has already seen the BYE and wants the ports back now.
  return { 'delete delay': 0 };
}

/** Whether every media section of this SDP is plain RTP/AVP (or there is none we can read). */
export function isPlainRtp(sdp: string): boolean {
  const media = parse(sdp).media ?? [];
  return media.every((m) => m.protocol === PLAIN || m.port === 0);
}
