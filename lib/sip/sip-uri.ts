/**
 * The parts of a SIP or SIPS URI the platform routes on (RFC 3261 19.1.1:
 * `sip:user:password@host:port;uri-parameters?headers`), read by one pass with
 * indexOf and a character check. srf's parseUri is a regular expression whose host
 * alternative (`[^@:]*`) overlaps its parameters, so it backtracks quadratically on
 * crafted URIs; this never calls it.
 */

export interface SipUriParts {
  scheme: 'sip' | 'sips';
  user: string;
  host: string;
  port?: number;
}

/** Longer URIs are refused: RFC 3261 sets no limit, but no phone's URI comes near it. */
export const MAX_URI = 2048;

/** RFC 3261 25.1 hostname characters (letters, digits, `-`, `.`; `_` as phones send it). */
function isHostChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) ||
    code === 0x2d || code === 0x2e || code === 0x5f;
}

/** RFC 3261 25.1 IPv6reference: `[` hex digits, `:` and `.` (an embedded IPv4) `]`. */
function isIpv6Char(code: number): boolean {
  return (code >= 0x30 && code <= 0x3a) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66) || code === 0x2e;
}

function allChars(s: string, ok: (code: number) => boolean): boolean {
  for (let i = 0; i < s.length; i++) if (!ok(s.charCodeAt(i))) return false;
  return true;
}

/** The user, host (lower case, IPv6 in brackets) and port of a sip:/sips: URI; null when it is none. */
export function parseSipUri(text: string): SipUriParts | null {
  const uri = text.trim();
  if (uri.length > MAX_URI) return null;
  const colon = uri.indexOf(':');
  if (colon !== 3 && colon !== 4) return null;
  const scheme = uri.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') return null;
  // parameters and headers cannot hold `@` (RFC 3261 25.1 paramchar, hnv-unreserved), so
  // an `@` belongs to the userinfo; the user is the part before a `:password`
  const at = uri.indexOf('@', colon + 1);
  let user = '';
  let i = colon + 1;
  if (at !== -1) {
    const userinfo = uri.slice(colon + 1, at);
    const pw = userinfo.indexOf(':');
    user = pw === -1 ? userinfo : userinfo.slice(0, pw);
    i = at + 1;
  }
  let host: string;
  if (uri[i] === '[') {
    const close = uri.indexOf(']', i);
    if (close === -1) return null;
    host = uri.slice(i, close + 1);
    if (!allChars(host.slice(1, -1), isIpv6Char) || host.length < 3) return null;
    i = close + 1;
  } else {
    let end = i;
    while (end < uri.length && isHostChar(uri.charCodeAt(end))) end++;
    host = uri.slice(i, end);
    if (!host) return null;
    i = end;
  }
  let port: number | undefined;
  if (uri[i] === ':') {
    let end = i + 1;
    while (end < uri.length && end - i <= 6 && uri.charCodeAt(end) >= 0x30 && uri.charCodeAt(end) <= 0x39) end++;
    const digits = uri.slice(i + 1, end);
    if (!digits || digits.length > 5 || Number(digits) > 65535) return null;
    port = Number(digits) || undefined;
    i = end;
  }
  // what follows the hostport must be parameters or headers
  if (i < uri.length && uri[i] !== ';' && uri[i] !== '?') return null;
  return { scheme, user, host: host.toLowerCase(), port };
}
