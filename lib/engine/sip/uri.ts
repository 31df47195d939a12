import { parseParams, type Params } from './params';

/** The parts of a SIP/SIPS URI the engine routes on (RFC 3261 19.1). */
export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  host: string;
  port?: number;
  params: Params;
  /** `?h=v` headers part, raw */
  headers?: string;
}

const isHostChar = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '.' || c === '_' || c === '-';
const isV6Char = (c: string): boolean => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c === ':' || c === '.';
const isLineEnd = (c: string): boolean => c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029';

export function uriScheme(uri: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  return m ? m[1].toLowerCase() : '';
}

/** `host[:port][;params][?headers]` after the userinfo: one pass (RFC 3261 19.1.1). */
function parseHostPart(s: string, from: number): Omit<SipUri, 'scheme' | 'user'> | null {
  let i = from;
  let host: string;
  if (s[i] === '[') {
    i++;
    while (i < s.length && isV6Char(s[i])) i++;
    if (s[i] !== ']' || i === from + 1) return null;
    i++;
    host = s.slice(from, i);
  } else {
    while (i < s.length && isHostChar(s[i])) i++;
    host = s.slice(from, i);
    if (host === '') return null;
  }
  let port: number | undefined;
  if (s[i] === ':') {
    const d = ++i;
    while (i < s.length && s[i] >= '0' && s[i] <= '9') i++;
    if (i === d || i - d > 5) return null;
    port = Number(s.slice(d, i));
    if (port < 1 || port > 65535) return null;
  }
  if (i < s.length && s[i] !== ';' && s[i] !== '?') return null;
  const q = s.indexOf('?', i);
  const params = parseParams(s.slice(i, q === -1 ? s.length : q));
  if (!params) return null;
  let headers: string | undefined;
  if (q !== -1) {
    headers = s.slice(q + 1);
    for (const c of headers) if (isLineEnd(c)) return null;
  }
  return { host, port, params, headers };
}

/**
 * A SIP or SIPS URI (RFC 3261 19.1.1), by a hand-written scanner in linear time: the
 * userinfo runs to the first '@'; if what follows is no host, the URI is read again as
 * having no userinfo (an '@' may appear in a parameter).
 */
export function parseSipUri(uri: string): SipUri | null {
  const s = uri.trim();
  const colon = s.indexOf(':');
  const scheme = colon === -1 ? '' : s.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') return null;
  const at = s.indexOf('@', colon + 1);
  if (at > colon + 1) {
    const withUser = parseHostPart(s, at + 1);
    if (withUser) return { scheme, user: s.slice(colon + 1, at), ...withUser };
  }
  const noUser = parseHostPart(s, colon + 1);
  return noUser ? { scheme, ...noUser } : null;
}

/** Strip the brackets of an IPv6 reference for socket APIs. */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
