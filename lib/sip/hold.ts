import { parse } from 'sdp-transform';

/**
 * Whether an SDP offer puts the call on hold: RFC 3264 8.4 (`a=sendonly` or
 * `a=inactive`, at session or media level) or the RFC 2543 form, a connection address
 * of 0.0.0.0 (still sent by older phones, RFC 3264 8.4 says to accept it).
 */
export function isHoldSdp(sdp: string | undefined): boolean {
  if (!sdp) return false;
  let s;
  try {
    s = parse(sdp);
  } catch {
    return false;
  }
  const audio = s.media.find((m) => m.type === 'audio') ?? s.media[0];
  if (!audio) return false;
  const direction = audio.direction ?? s.direction;
  if (direction === 'sendonly' || direction === 'inactive') return true;
  const ip = audio.connection?.ip ?? s.connection?.ip;
  return ip === '0.0.0.0';
}

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The direction of an SDP's audio (RFC 3264 5.1: media level over session level, sendrecv by default). */
export function sdpDirection(sdp: string): SdpDirection {
  let s;
  try {
    s = parse(sdp);
  } catch {
    return 'sendrecv';
  }
  const audio = s.media.find((m) => m.type === 'audio') ?? s.media[0];
  return (audio?.direction ?? s.direction ?? 'sendrecv') as SdpDirection;
}

/** The direction an answer takes to an offer's (RFC 3264 6.1): sendonly -> recvonly, recvonly -> sendonly, else the same. */
export function answeringDirection(offer: SdpDirection): SdpDirection {
  return offer === 'sendonly' ? 'recvonly' : offer === 'recvonly' ? 'sendonly' : offer;
}

/** `sdp` with its audio direction set to `dir` (every direction line replaced, one added when there is none). */
export function withDirection(sdp: string, dir: SdpDirection): string {
  const out = sdp.replace(/^a=(sendrecv|sendonly|recvonly|inactive)\r?$/gm, `a=${dir}`);
  return out === sdp && !new RegExp(`^a=${dir}\\r?$`, 'm').test(sdp) ? `${sdp.trimEnd()}\r\na=${dir}\r\n` : out;
}
