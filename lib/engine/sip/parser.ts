import { headerKey, canonicalName } from './headers';
import { DEFAULT_PARSE_LIMITS, collapseWhitespace, hasLongWhitespaceRun, type ParseLimits } from './limits';
import { SipMessage } from './message';

/**
 * Turning bytes into SipMessages (RFC 3261 section 7 and 18.3). Nothing here throws:
 * every outcome is a value, so one bad datagram never takes the engine down.
 */

export type ParseResult =
  | { kind: 'message'; msg: SipMessage; consumed: number }
  /**
   * the message is unusable; `msg` holds what could be read, enough to answer `status`
   * (400 unless a size bound says 413, 414 or 513)
   */
  | { kind: 'error'; reason: string; msg?: SipMessage; consumed: number; status?: number }
  /**
   * stream transports only: not all of the message has arrived yet; `needed` is the
   * length the buffer must reach once the head is known, so the caller need not parse
   * again before
   */
  | { kind: 'incomplete'; needed?: number }
  /** stream transports only: keep-alive CRLFs to drop */
  | { kind: 'skip'; consumed: number };

const REQUEST_LINE = /^([!%*+\-.0-9A-Z_`a-z'~]+) ([^ ]+) (SIP\/\d+\.\d+)$/;
const STATUS_LINE = /^SIP\/(\d+\.\d+) (\d{3}) ?(.*)$/;
const HEADER_NAME = /^[!%*+\-.0-9A-Z_`a-z'~]+$/;

function findHeaderEnd(buf: Buffer, from: number): { end: number; sepLen: number } | null {
  const crlf = buf.indexOf('\r\n\r\n', from, 'latin1');
  const lf = buf.indexOf('\n\n', from, 'latin1');
  if (crlf === -1 && lf === -1) return null;
  if (crlf !== -1 && (lf === -1 || crlf < lf - 1)) return { end: crlf, sepLen: 4 };
  return { end: lf, sepLen: 2 };
}

/** Split the header block into logical lines, undoing line folding (RFC 3261 7.3.1). */
function unfold(block: string): string[] {
  const raw = block.split(/\r?\n/);
  const lines: string[] = [];
  for (const line of raw) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length > 0) {
      lines[lines.length - 1] += ' ' + line.trim();
    } else {
      lines.push(line);
    }
  }
  return lines;
}

interface Head {
  msg: SipMessage;
  error?: string;
  /** the status a size bound asks for (RFC 3261 21.4.12 414, otherwise 400) */
  status?: number;
}

function parseStartLine(first: string, msg: SipMessage, limits: ParseLimits): Head | undefined {
  if (first.length > limits.maxStartLine) {
    // keep the method so the request can still be answered (414 Request-URI Too Long)
    const sp = first.indexOf(' ');
    const method = sp > 0 && sp <= 32 ? first.slice(0, sp) : '';
    if (HEADER_NAME.test(method)) {
      msg.method = method;
      msg.uri = '*';
    }
    return { msg, error: 'start line too long', status: 414 };
  }
  const status = STATUS_LINE.exec(first);
  if (status) {
    msg.status = Number(status[2]);
    msg.reason = status[3];
    if (status[1] !== '2.0') return { msg, error: `unsupported version SIP/${status[1]}` };
    return undefined;
  }
  const req = REQUEST_LINE.exec(first);
  if (req) {
    msg.method = req[1];
    msg.uri = req[2];
    if (req[3] !== 'SIP/2.0') return { msg, error: `version ${req[3]}` };
    return undefined;
  }
  // keep the method so the caller knows it is a request it may answer with 400
  const token = /^([!%*+\-.0-9A-Z_`a-z'~]+) /.exec(first);
  if (token) msg.method = token[1];
  return { msg, error: 'malformed start line' };
}

/**
 * The head: start line and headers, unfolded (RFC 3261 7.3.1). Every loop is one pass
 * over the text; the bounds of `limits` are checked as lines are read, so an oversized
 * head costs no more than reading it once. The headers are still read after a bad line,
 * so the error can be answered (Via, Call-ID, CSeq, From, To are needed for that).
 */
function parseHead(text: string, limits: ParseLimits): Head {
  const lines = unfold(text);
  const msg = new SipMessage();
  const startError = parseStartLine(lines[0] ?? '', msg, limits);
  let error = startError?.error;
  let status = startError?.status;
  let count = 0;
  for (let i = 1; i < lines.length; i++) {
    let line = lines[i];
    if (line === '') continue;
    if (++count > limits.maxHeaders) {
      if (!error) {
        error = 'too many headers';
        status = 400;
      }
      break;
    }
    if (line.length > limits.maxHeaderLine) {
      if (!error) {
        error = `header line ${i} too long`;
        status = 400;
      }
      continue;
    }
    if (hasLongWhitespaceRun(line, limits.maxWhitespaceRun)) {
      if (!error) {
        error = `whitespace run in header line ${i}`;
        status = 400;
      }
      // kept with each run as one SP (RFC 3261 7.3.1: LWS may be replaced by a single SP
      // before interpretation), only so the 400 can be built: it needs this From or To
      line = collapseWhitespace(line);
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    // a bare CR is no line end and no LWS (RFC 3261 7.3.1, 25.1); the app's parser splits on it
    if (!HEADER_NAME.test(name) || line.includes('\r')) {
      error ??= `malformed header line ${i}`;
      continue;
    }
    const key = headerKey(name);
    // written back under its canonical name, as drachtio does (names are case-insensitive, RFC 3261 7.3.5)
    msg.headers.push({ key, name: canonicalName(key), value: line.slice(colon + 1).trim() });
  }
  return { msg, error, status };
}

/** Content-Length as declared: null if absent, NaN if unusable (RFC 4475 mcl01, ncl). */
function declaredLength(msg: SipMessage): number | null {
  const values = msg.getAll('content-length');
  if (values.length === 0) return null;
  const distinct = new Set(values.map((v) => v.trim()));
  if (distinct.size > 1) return NaN;
  const v = values[0].trim();
  return /^\d{1,9}$/.test(v) ? Number(v) : NaN;
}

/**
 * One UDP datagram holds one message (RFC 3261 18.3): octets past Content-Length are
 * discarded; a missing Content-Length means the body is the rest of the datagram.
 */
export function parseDatagram(buf: Buffer, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParseResult {
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start >= buf.length) return { kind: 'error', reason: 'empty datagram', consumed: buf.length };
  // an oversized datagram: read no more than the bound, enough to answer 513 (RFC 3261 21.5.7)
  const tooLarge = buf.length > limits.maxMessage;
  const view = tooLarge ? buf.subarray(0, limits.maxMessage) : buf;
  const sep = findHeaderEnd(view, start);
  const headEnd = sep ? sep.end : view.length;
  const bodyStart = sep ? sep.end + sep.sepLen : view.length;
  const { msg, error, status } = parseHead(view.toString('utf8', start, headEnd), limits);
  if (tooLarge) return { kind: 'error', reason: `message of ${buf.length} bytes over the limit`, msg, consumed: buf.length, status: 513 };
  if (error) return { kind: 'error', reason: error, msg, consumed: buf.length, status };
  const len = declaredLength(msg);
  const available = buf.length - bodyStart;
  if (len === null) {
    msg.body = buf.subarray(bodyStart);
  } else if (Number.isNaN(len)) {
    return { kind: 'error', reason: 'bad Content-Length', msg, consumed: buf.length };
  } else if (len > available) {
    return { kind: 'error', reason: 'Content-Length larger than the datagram', msg, consumed: buf.length };
  } else {
    msg.body = buf.subarray(bodyStart, bodyStart + len);
  }
  return { kind: 'message', msg, consumed: buf.length };
}

/**
 * Frame one message off a stream (RFC 3261 18.3: Content-Length is mandatory on
 * streams). Leading CRLFs are keep-alives (RFC 5626 4.4.1) and are skipped. An
 * unusable Content-Length loses the framing: the caller must close the connection.
 */
export function parseStream(buf: Buffer, maxMessage: number, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParseResult {
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start >= buf.length) return start > 0 ? { kind: 'skip', consumed: start } : { kind: 'incomplete' };
  const sep = findHeaderEnd(buf, start);
  if (!sep) {
    if (buf.length - start > maxMessage) return { kind: 'error', reason: 'header block too large', consumed: buf.length };
    return { kind: 'incomplete' };
  }
  if (sep.end - start > maxMessage) return { kind: 'error', reason: 'header block too large', consumed: buf.length };
  const { msg, error, status } = parseHead(buf.toString('utf8', start, sep.end), limits);
  const bodyStart = sep.end + sep.sepLen;
  const len = declaredLength(msg);
  if (len !== null && Number.isNaN(len)) return { kind: 'error', reason: 'bad Content-Length', msg, consumed: buf.length };
  const bodyLen = len ?? 0;
  // the head was read: enough to answer the request with 513 (RFC 3261 21.5.7) before the connection goes
  if (bodyStart - start + bodyLen > maxMessage) return { kind: 'error', reason: 'message too large', msg, consumed: buf.length, status: 513 };
  if (buf.length < bodyStart + bodyLen) return { kind: 'incomplete', needed: bodyStart + bodyLen };
  msg.body = Buffer.from(buf.subarray(bodyStart, bodyStart + bodyLen));
  const consumed = bodyStart + bodyLen;
  if (error) return { kind: 'error', reason: error, msg, consumed, status };
  return { kind: 'message', msg, consumed };
}
