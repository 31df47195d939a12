/**
 * Header names: compact forms (RFC 3261 7.3.3, plus the later RFCs' registrations),
 * canonical spelling for output, and which headers may be comma-joined lists
 * (RFC 3261 7.3.1: only headers whose grammar is a comma-separated list).
 */

const COMPACT: Record<string, string> = {
  a: 'accept-contact', b: 'referred-by', c: 'content-type', d: 'request-disposition',
  e: 'content-encoding', f: 'from', i: 'call-id', j: 'reject-contact', k: 'supported',
  l: 'content-length', m: 'contact', n: 'identity-info', o: 'event', r: 'refer-to',
  s: 'subject', t: 'to', u: 'allow-events', v: 'via', x: 'session-expires', y: 'identity',
};

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version', rack: 'RAck', rseq: 'RSeq', 'p-asserted-identity': 'P-Asserted-Identity',
};

/** Headers whose values are comma-separated lists and may therefore be split/joined. */
const LIST_HEADERS = new Set([
  'via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'proxy-require',
  'unsupported', 'accept', 'accept-encoding', 'accept-language', 'allow-events', 'path',
  'service-route', 'content-encoding', 'in-reply-to', 'alert-info', 'call-info', 'error-info',
]);

/** Headers that RFC 3261 allows only once in a message (7.3.1, section 20 tables). */
export const SINGLE_VALUE_HEADERS = ['call-id', 'cseq', 'from', 'to', 'max-forwards', 'content-length', 'content-type'];

/** Lower-case long name for a header name as it appeared on the wire. */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

const canonicalCache = new Map<string, string>();

/** The spelling used when the engine writes a header it knows. */
export function canonicalName(key: string): string {
  let name = canonicalCache.get(key);
  if (name === undefined) {
    name = CANONICAL[key] ?? key.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    if (canonicalCache.size < 1000) canonicalCache.set(key, name);
  }
  return name;
}

export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}

/**
 * Split a comma-joined header value into its elements, ignoring commas inside quoted
 * strings and <...> (RFC 3261 7.3.1; display names and URIs may contain commas).
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++; // backslash escapes the next char in a quoted-string
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x3c) depth++;
    else if (c === 0x3e) depth = Math.max(0, depth - 1);
    else if (c === 0x2c && depth === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}
