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
