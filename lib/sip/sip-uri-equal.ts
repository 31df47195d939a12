import { MAX_URI } from './sip-uri';

/**
 * SIP URI equality (RFC 3261 19.1.4), for the digest `uri` parameter against the
 * Request-URI (RFC 7616 3.4.6). Linear, bounded, no regular expression: both strings
 * come from the network.
 */

interface UriParts {
  scheme: string;
  user: string | undefined;
  host: string;
  port: string;
  params: Map<string, string>;
  headers: Map<string, string>;
}

/** %XX escapes decoded (RFC 3261 19.1.4: `%61lice` is `alice`); undefined if malformed. */
function unescape(s: string): string | undefined {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function splitList(s: string, sep: string, into: Map<string, string>): boolean {
  if (!s) return true;
  for (const item of s.split(sep)) {
    if (!item) continue;
    const eq = item.indexOf('=');
    const name = unescape(eq < 0 ? item : item.slice(0, eq))?.toLowerCase();
    const value = unescape(eq < 0 ? '' : item.slice(eq + 1))?.toLowerCase();
    if (name === undefined || value === undefined || into.has(name)) return false;
    into.set(name, value);
  }
  return true;
}

function parse(uri: string): UriParts | undefined {
  if (uri.length > MAX_URI) return undefined;
  const colon = uri.indexOf(':');
  if (colon < 1) return undefined;
  const scheme = uri.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') return undefined;
  let rest = uri.slice(colon + 1);
  const q = rest.indexOf('?');
  const headerPart = q < 0 ? '' : rest.slice(q + 1);
  if (q >= 0) rest = rest.slice(0, q);
  // '@' appears unescaped only in userinfo (RFC 3261 25.1: not in params nor headers)
  const at = rest.indexOf('@');
  const userinfo = at < 0 ? undefined : rest.slice(0, at);
  rest = rest.slice(at + 1);
  const semi = rest.indexOf(';');
  const hostport = semi < 0 ? rest : rest.slice(0, semi);
  let host = hostport;
  let port = '';
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) return undefined;
    host = hostport.slice(0, close + 1);
    if (close + 1 < hostport.length) {
      if (hostport[close + 1] !== ':') return undefined;
      port = hostport.slice(close + 2);
    }
  } else {
    const c = hostport.indexOf(':');
    if (c >= 0) {
      host = hostport.slice(0, c);
      port = hostport.slice(c + 1);
    }
  }
  if (!host) return undefined;
  const user = userinfo === undefined ? undefined : unescape(userinfo);
  if (userinfo !== undefined && user === undefined) return undefined;
  const params = new Map<string, string>();
  const headers = new Map<string, string>();
  if (!splitList(semi < 0 ? '' : rest.slice(semi + 1), ';', params) || !splitList(headerPart, '&', headers)) return undefined;
  return { scheme, user, host: host.toLowerCase(), port, params, headers };
}

/** These must be in both URIs or in neither (RFC 3261 19.1.4). */
const MUST_BOTH = ['user', 'ttl', 'method', 'maddr'];

/** True when `a` and `b` name the same SIP URI by RFC 3261 19.1.4. */
export function sameSipUri(a: string, b: string): boolean {
  if (a === b) return a.length <= MAX_URI;
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return false;
  // userinfo case-sensitive; scheme and host not; a default port is not the same as none
  if (x.scheme !== y.scheme || x.user !== y.user || x.host !== y.host || x.port !== y.port) return false;
  for (const name of MUST_BOTH) if (x.params.has(name) !== y.params.has(name)) return false;
  for (const [name, value] of x.params) if (y.params.has(name) && y.params.get(name) !== value) return false;
  if (x.headers.size !== y.headers.size) return false;
  for (const [name, value] of x.headers) if (y.headers.get(name) !== value) return false;
  return true;
}
