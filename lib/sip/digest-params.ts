/**
 * The parameters of a `Digest` credentials header (Authorization, Proxy-Authorization:
 * RFC 3261 22.4 / 25.1, RFC 7616 3.4). A hand-written scanner, one pass over at most
 * MAX_HEADER characters: the header comes from anyone on the network, so no regular
 * expression that could backtrack reads it.
 */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  cnonce?: string;
  nc?: string;
  qop?: string;
  opaque?: string;
}

/** Longer credentials are not a phone's: refused unread. */
export const MAX_HEADER = 4096;
/** No digest parameter a phone sends is longer (URIs included). */
const MAX_VALUE = 1024;
const MAX_PARAMS = 32;

const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
/** RFC 3261 25.1 token characters (a parameter name or an unquoted value). */
function isToken(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || '-.!%*_+`\'~/:@'.includes(String.fromCharCode(c));
}

/**
 * `Digest username="a", realm="b", ...` as a map of lower-cased names to unquoted values
 * (RFC 2617 3.2.2); null when it is not Digest, is malformed, repeats a parameter
 * (RFC 7616 3.4: each at most once) or lacks one of the five every response carries.
 */
export function parseDigest(header: string | undefined): DigestCredentials | null {
  if (!header || header.length > MAX_HEADER) return null;
  const s = header;
  let i = 0;
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  if (s.slice(i, i + 6).toLowerCase() !== 'digest' || !isWs(s.charCodeAt(i + 6))) return null;
  i += 6;
  const params = new Map<string, string>();
  for (;;) {
    while (i < s.length && (isWs(s.charCodeAt(i)) || s[i] === ',')) i++;
    if (i >= s.length) break;
    const nameStart = i;
    while (i < s.length && isToken(s.charCodeAt(i)) && s[i] !== ':' && s[i] !== '/') i++;
    const name = s.slice(nameStart, i).toLowerCase();
    if (!name || name.length > 32) return null;
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    if (s[i] !== '=') return null;
    i++;
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    let value = '';
    if (s[i] === '"') {
      // quoted-string with quoted-pair (RFC 3261 25.1)
      i++;
      let closed = false;
      while (i < s.length) {
        const ch = s[i];
        if (ch === '\\' && i + 1 < s.length) {
          value += s[i + 1];
          i += 2;
        } else if (ch === '"') {
          closed = true;
          i++;
          break;
        } else {
          value += ch;
          i++;
        }
        if (value.length > MAX_VALUE) return null;
      }
      if (!closed) return null;
    } else {
      const start = i;
      while (i < s.length && isToken(s.charCodeAt(i))) i++;
      value = s.slice(start, i);
      if (!value || value.length > MAX_VALUE) return null;
    }
    if (params.has(name) || params.size >= MAX_PARAMS) return null;
    params.set(name, value);
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    if (i < s.length && s[i] !== ',') return null;
  }
  const username = params.get('username');
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const uri = params.get('uri');
  const response = params.get('response');
  if (!username || realm === undefined || !nonce || !uri || !response) return null;
  const creds: DigestCredentials = { username, realm, nonce, uri, response };
  for (const k of ['algorithm', 'cnonce', 'nc', 'qop', 'opaque'] as const) {
    const v = params.get(k);
    if (v !== undefined) creds[k] = v;
  }
  return creds;
}
