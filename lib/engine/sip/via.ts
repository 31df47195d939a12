import { formatParams, parseParams, type Params } from './params';

/** One Via element (RFC 3261 20.42). */
export interface Via {
  protocol: string;      // 'SIP/2.0'
  transport: string;     // upper case: UDP, TCP, TLS, WS, SCTP, or anything else
  host: string;
  port?: number;
  params: Params;
}

const isWs = (c: string): boolean => c === ' ' || c === '\t';
const TOKEN_CHARS = /^[A-Za-z0-9.!%*_+`'~-]$/;
const isToken = (c: string): boolean => TOKEN_CHARS.test(c);
const isHostChar = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '.' || c === '-';
const isV6Char = (c: string): boolean => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c === ':' || c === '.';

/** `1*DIGIT "." 1*DIGIT` (RFC 3261 25.1 SIP-Version), as the app's parser requires it too. */
function isVersion(v: string): boolean {
  const dot = v.indexOf('.');
  return dot > 0 && dot < v.length - 1 && v.indexOf('.', dot + 1) === -1;
}

/**
 * `SIP / 2.0 / UDP host:port ;params` (RFC 3261 20.42, 25.1: LWS is allowed around the
 * slashes and the colon). A hand-written scanner, one pass: a regular expression here
 * had adjacent optional whitespace runs, which a hostile Via can make backtrack.
 */
export function parseVia(value: string): Via | null {
  const s = value.trim();
  let i = 0;
  const skipWs = (): void => {
    while (i < s.length && isWs(s[i])) i++;
  };
  const take = (ok: (c: string) => boolean): string => {
    const from = i;
    while (i < s.length && ok(s[i])) i++;
    return s.slice(from, i);
  };
  const name = take(isToken);
  skipWs();
  // RFC 3261 25.1 allows any token as protocol-name, but drachtio-srf reads only "SIP"
  if (name !== 'SIP' || s[i] !== '/') return null;
  i++;
  skipWs();
  const version = take((c) => (c >= '0' && c <= '9') || c === '.');
  skipWs();
  if (!isVersion(version) || s[i] !== '/') return null;
  i++;
  skipWs();
  const transport = take(isToken);
  const beforeHost = i;
  skipWs();
  if (transport === '' || i === beforeHost) return null;
  let host: string;
  if (s[i] === '[') {
    const from = i;
    i++;
    take(isV6Char);
    if (s[i] !== ']' || i === from + 1) return null;
    i++;
    host = s.slice(from, i);
  } else {
    host = take(isHostChar);
    if (host === '') return null;
  }
  skipWs();
  let port: number | undefined;
  if (s[i] === ':') {
    i++;
    skipWs();
    const digits = take((c) => c >= '0' && c <= '9');
    if (digits.length < 1 || digits.length > 5) return null;
    port = Number(digits);
    if (port < 1 || port > 65535) return null;
    skipWs();
  }
  if (i < s.length && s[i] !== ';') return null;
  const params = parseParams(s.slice(i));
  if (!params) return null;
  return { protocol: `${name}/${version}`, transport: transport.toUpperCase(), host, port, params };
}

export function formatVia(via: Via): string {
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${via.host}${port}${formatParams(via.params)}`;
}

export function viaBranch(via: Via): string {
  return via.params.get('branch') ?? '';
}

/**
 * The branch of a message's top Via (`msg.get('via')`), '' when there is none or the Via
 * cannot be read. RFC 3261 17.1.3 matches a response to its client transaction by it;
 * read through the Via grammar, not searched for: `xbranch=` or a `branch=` inside
 * another parameter is no branch.
 */
export function topViaBranch(top: string | undefined): string {
  const via = top ? parseVia(top) : null;
  return via ? viaBranch(via) : '';
}

/** RFC 3261 8.1.1.7: a branch starting with the magic cookie means RFC 3261 matching applies. */
export function isRfc3261Branch(branch: string): boolean {
  return branch.startsWith('z9hG4bK') && branch.length > 7;
}
