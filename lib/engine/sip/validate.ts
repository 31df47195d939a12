import { SINGLE_VALUE_HEADERS, splitList } from './headers';
import type { SipMessage } from './message';
import { parseNameAddr } from './name-addr';
import { parseSipUri, uriScheme } from './uri';
import { parseVia } from './via';

export interface Rejection {
  status: number;
  reason: string;
  headers?: Record<string, string>;
}

const LIST_PARSED_BY_APP = new Set(['via', 'contact', 'route', 'record-route', 'path']);
const MAX_CSEQ = 0xffffffff; // RFC 3261 8.1.1.5: CSeq sequence number is a 32-bit unsigned integer
const URI_SCHEMES = new Set(['sip', 'sips', 'tel']);

/** Option tags the engine itself understands (RFC 3261 8.2.2.3). */
export const DEFAULT_SUPPORTED = ['replaces', 'timer', '100rel', 'norefersub', 'path', 'outbound', 'gruu', 'tdialog', 'histinfo', 'join', 'from-change', 'precondition', 'resource-priority'];

/**
 * The checks a UAS core makes before a request goes anywhere (RFC 3261 8.2 and the
 * outcomes RFC 4475 expects). Returns the rejection to send, or null when the request
 * may proceed. A request that cannot be answered at all (no usable Via) is the caller's
 * concern: it is dropped.
 */
export function validateRequest(msg: SipMessage, supported: readonly string[] = DEFAULT_SUPPORTED): Rejection | null {
  for (const key of ['via', 'from', 'to', 'call-id', 'cseq']) {
    if (!msg.has(key)) return bad(`Missing ${key} header`);
  }
  for (const key of SINGLE_VALUE_HEADERS) {
    if (msg.count(key) > 1 && key !== 'content-length') return bad(`Repeated ${key} header`);
  }
  for (const v of msg.getAll('via')) if (!parseVia(v)) return bad('Malformed Via');
  const cseq = /^(\d+)\s+(\S+)$/.exec((msg.get('cseq') ?? '').trim());
  if (!cseq) return bad('Malformed CSeq');
  if (cseq[1].length > 10 || Number(cseq[1]) > MAX_CSEQ) return bad('CSeq out of range');
  if (cseq[2] !== msg.method) return bad('CSeq method does not match the request');
  const mf = msg.get('max-forwards');
  if (mf !== undefined && !/^\d+$/.test(mf.trim())) return bad('Malformed Max-Forwards');
  for (const key of ['from', 'to']) {
    if (!parseNameAddr(msg.get(key) ?? '')) return bad(`Malformed ${key} header`);
  }
  for (const c of msg.getAll('contact')) if (!parseNameAddr(c)) return bad('Malformed Contact');
  for (const key of ['route', 'record-route', 'path']) {
    for (const v of msg.getAll(key)) if (!parseNameAddr(v)) return bad(`Malformed ${key} header`);
  }
  // drachtio-srf parses these lists element by element and throws on an empty one
  // (`a, , b` or a trailing comma), which RFC 3261 7.3.1's grammar does not allow either
  for (const h of msg.headers) {
    if (LIST_PARSED_BY_APP.has(h.key) && splitList(h.value).some((e) => e === '')) return bad(`Malformed ${h.key} list`);
  }
  if (msg.uri.startsWith('<')) return bad('Request-URI in angle brackets');
  if (!printableAscii(msg.uri)) return bad('Request-URI with a control, space or non-ASCII character');
  const scheme = uriScheme(msg.uri);
  if (scheme === '') return bad('Malformed Request-URI');
  // RFC 3261 8.2.2.1 and 21.4.17: a scheme we cannot serve is 416
  if (!URI_SCHEMES.has(scheme)) return { status: 416, reason: 'Unsupported URI Scheme' };
  if (scheme === 'sip' || scheme === 'sips') {
    const uri = parseSipUri(msg.uri);
    if (!uri) return bad('Malformed Request-URI');
    // RFC 3261 19.1.5: headers in a Request-URI are not allowed (RFC 4475 escruri); '?' in the user part is
    if (uri.headers !== undefined) return bad('Headers in Request-URI');
  }
  // RFC 3261 8.2.2.3: unknown option tags in Require get 420 with Unsupported; not for ACK/CANCEL
  if (msg.method !== 'ACK' && msg.method !== 'CANCEL') {
    const unknown = msg.getAll('require').map((t) => t.trim()).filter((t) => t !== '' && !supported.includes(t.toLowerCase()));
    if (unknown.length > 0) {
      return { status: 420, reason: 'Bad Extension', headers: { Unsupported: unknown.join(', ') } };
    }
  }
  return null;
}

/** Responses that must be silently discarded (RFC 4475 3.1.2.5 scalarlg, 3.1.2.19 bigcode). */
export function validateResponse(msg: SipMessage): string | null {
  if (msg.status < 100 || msg.status > 699) return 'status code out of range';
  if (!msg.has('via') || !msg.has('call-id') || !msg.has('cseq') || !msg.has('from') || !msg.has('to')) return 'missing headers';
  const cseq = /^(\d+)\s+(\S+)$/.exec((msg.get('cseq') ?? '').trim());
  if (!cseq || cseq[1].length > 10 || Number(cseq[1]) > MAX_CSEQ) return 'bad CSeq';
  // what drachtio-srf parses of a response it is given (srf.js reads To, Contact, Via);
  // a throw there happens inside its socket handler, out of the app's reach
  for (const key of ['from', 'to']) if (!parseNameAddr(msg.get(key) ?? '')) return `malformed ${key}`;
  for (const c of msg.getAll('contact')) if (!parseNameAddr(c)) return 'malformed Contact';
  for (const v of msg.getAll('via')) if (!parseVia(v)) return 'malformed Via';
  for (const h of msg.headers) {
    if (LIST_PARSED_BY_APP.has(h.key) && splitList(h.value).some((e) => e === '')) return `malformed ${h.key} list`;
  }
  return null;
}

/**
 * RFC 3261 25.1 and RFC 3986 2: a Request-URI is printable US-ASCII (anything else is
 * %-escaped). The start-line scanner splits on SP only, so a TAB, another control or a
 * Unicode space could reach the app, whose parser (drachtio-srf) splits on any
 * whitespace, fails, and drops the request without an answer: the transaction then
 * never ends (issue #13). Such a request is refused here instead.
 */
function printableAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

function bad(reason: string): Rejection {
  return { status: 400, reason };
}
