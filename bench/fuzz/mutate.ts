import type { Rng } from './rng';

/**
 * Mutations of one SIP message, each a way real traffic has broken parsers and
 * applications: flipped bytes, headers repeated, dropped or reordered, huge values, long
 * runs of the characters parsers scan for (spaces, quotes, angle brackets, separators),
 * CRLF injected into a value, a Content-Length that lies, truncation, binary junk.
 * Everything works on latin1 strings so every byte survives unchanged.
 */
export interface SipParts {
  start: string;
  headers: string[];
  body: string;
}

export const MAX_DATAGRAM = 65000;

export function split(msg: Buffer): SipParts {
  const text = msg.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const lines = head.split('\r\n');
  return { start: lines[0] ?? '', headers: lines.slice(1), body: end < 0 ? '' : text.slice(end + 4) };
}

export function join(p: SipParts): Buffer {
  return Buffer.from(`${[p.start, ...p.headers].join('\r\n')}\r\n\r\n${p.body}`, 'latin1');
}

export function headerName(line: string): string {
  const colon = line.indexOf(':');
  return colon < 0 ? '' : line.slice(0, colon).trim().toLowerCase();
}

const RUN_CHARS = [' ', '\t', '"', '<', '>', ';', ',', '\\', '%', '=', '@', ':', '/', '(', ')', '[', ']', '\r\n '];
const JUNK_HEADERS = ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Route', 'Record-Route', 'Max-Forwards', 'Content-Length',
  'Content-Type', 'Authorization', 'Proxy-Authorization', 'Expires', 'Event', 'Refer-To', 'Replaces', 'Referred-By', 'Supported',
  'Require', 'Session-Expires', 'Allow', 'Subscription-State', 'Accept', 'User-Agent', 'P-Asserted-Identity', 'Diversion', 'Reason'];

function junk(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(256));
  return s;
}

function run(rng: Rng, max: number): string {
  return rng.pick(RUN_CHARS).repeat(1 + rng.int(max));
}

/** Inserts `s` at a random point of a header line's value (after the colon). */
function insertInValue(rng: Rng, line: string, s: string): string {
  const colon = Math.max(0, line.indexOf(':') + 1);
  const at = colon + rng.int(line.length - colon + 1);
  return line.slice(0, at) + s + line.slice(at);
}

/** Indexes of the header lines a mutation may touch (not the protected ones). */
function free(p: SipParts, isProtected: (line: string) => boolean): number[] {
  const out: number[] = [];
  p.headers.forEach((h, i) => {
    if (!isProtected(h)) out.push(i);
  });
  return out;
}

type Mutation = (rng: Rng, p: SipParts, isProtected: (line: string) => boolean) => void;

export const MUTATIONS: Record<string, Mutation> = {
  duplicateHeader(rng, p, prot) {
    const idx = free(p, prot);
    if (!idx.length) return;
    const i = rng.pick(idx);
    const times = rng.chance(0.2) ? 1 + rng.int(500) : 1 + rng.int(3);
    p.headers.splice(i, 0, ...Array.from({ length: times }, () => p.headers[i]));
  },
  deleteHeader(rng, p, prot) {
    const idx = free(p, prot);
    if (idx.length) p.headers.splice(rng.pick(idx), 1);
  },
  reorderHeaders(rng, p) {
    for (let i = p.headers.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [p.headers[i], p.headers[j]] = [p.headers[j], p.headers[i]];
    }
  },
  hugeValue(rng, p, prot) {
    const idx = free(p, prot);
    if (!idx.length) return;
    const i = rng.pick(idx);
    p.headers[i] = insertInValue(rng, p.headers[i], rng.token(8).repeat(1 + rng.int(4000)));
  },
  longRun(rng, p, prot) {
    const idx = free(p, prot);
    if (idx.length && rng.chance(0.8)) {
      const i = rng.pick(idx);
      p.headers[i] = insertInValue(rng, p.headers[i], run(rng, 20000));
    } else {
      const at = rng.int(p.start.length + 1);
      if (!prot(p.start)) p.start = p.start.slice(0, at) + run(rng, 5000) + p.start.slice(at);
    }
  },
  manyParams(rng, p, prot) {
    const idx = free(p, prot);
    if (!idx.length) return;
    const i = rng.pick(idx);
    const param = rng.pick([';a=b', ';tag=x', ';lr', ';branch=z9hG4bK', ';expires=1', ',<sip:a@127.0.0.1>', ';q=0.5', ';received=127.0.0.1']);
    p.headers[i] = `${p.headers[i]}${param.repeat(1 + rng.int(3000))}`;
  },
  crlfInjection(rng, p, prot) {
    const idx = free(p, prot);
    if (!idx.length) return;
    const i = rng.pick(idx);
    const inject = rng.pick(['\r\n', '\r\n\r\n', '\n', '\r', `\r\n${rng.pick(JUNK_HEADERS)}: ${rng.token(6)}`, '\r\n\r\nINVITE sip:x@127.0.0.1 SIP/2.0\r\n']);
    p.headers[i] = insertInValue(rng, p.headers[i], inject);
  },
  badContentLength(rng, p) {
    p.headers = p.headers.filter((h) => headerName(h) !== 'content-length' && headerName(h) !== 'l');
    const v = rng.pick(['-1', '99999999999999999999', '4294967296', String(p.body.length + 1 + rng.int(70000)), '0', 'abc', '', ' 1 2',
      String(Math.max(0, p.body.length - 1 - rng.int(50))), '1e3', '0x10']);
    p.headers.push(`Content-Length: ${v}`);
    if (rng.chance(0.3)) p.headers.push(`Content-Length: ${rng.int(1000)}`);
  },
  truncate(rng, p) {
    const whole = `${[p.start, ...p.headers].join('\r\n')}\r\n\r\n${p.body}`;
    const cut = rng.int(whole.length);
    const next = split(Buffer.from(whole.slice(0, cut), 'latin1'));
    Object.assign(p, next);
  },
  binaryJunk(rng, p, prot) {
    const where = rng.int(3);
    if (where === 0) p.body = rng.chance(0.5) ? junk(rng, rng.int(3000)) : p.body + junk(rng, rng.int(500));
    else if (where === 1) {
      const idx = free(p, prot);
      if (idx.length) {
        const i = rng.pick(idx);
        p.headers[i] = insertInValue(rng, p.headers[i], junk(rng, 1 + rng.int(64)));
      }
    } else p.headers.splice(rng.int(p.headers.length + 1), 0, junk(rng, 1 + rng.int(200)));
  },
  junkHeader(rng, p) {
    const name = rng.pick(JUNK_HEADERS);
    const value = rng.pick([run(rng, 200), rng.token(1 + rng.int(40)), `<sip:${rng.token(4)}@127.0.0.1>;${run(rng, 50)}`, '', '"', '<', '<sip:', 'sip:@:;',
      `${'<'.repeat(rng.int(200))}sip:a@127.0.0.1${'>'.repeat(rng.int(200))}`, `"${'\\'.repeat(rng.int(500))}`]);
    p.headers.splice(rng.int(p.headers.length + 1), 0, `${name}: ${value}`);
  },
  startLine(rng, p, prot) {
    if (prot(p.start)) return;
    const parts = p.start.split(' ');
    const i = rng.int(parts.length);
    parts[i] = rng.pick(['', rng.token(3), 'SIP/2.0', 'SIP/7.0', 'sip:', 'INVITE', '200', '99999', 'sip:%00@127.0.0.1', run(rng, 100), junk(rng, 8)]);
    p.start = parts.join(rng.chance(0.8) ? ' ' : run(rng, 10));
  },
  swapBody(rng, p) {
    p.body = rng.pick([
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n',
      'v=0\r\nm=audio 99999999 RTP/AVP 0\r\n',
      `v=0\r\n${'a=x\r\n'.repeat(rng.int(5000))}`,
      'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendonly\r\n',
      '<?xml version="1.0"?><dialog-info/>', '', 'SIP/2.0 200 OK\r\n', junk(rng, 100),
    ]);
  },
};

const NAMES = Object.keys(MUTATIONS);

/** Flips `n` random bytes outside the protected byte ranges. */
function flipBytes(rng: Rng, buf: Buffer, n: number, isFree: (at: number) => boolean): void {
  for (let k = 0; k < n && buf.length; k++) {
    const at = rng.int(buf.length);
    if (isFree(at)) buf[at] = rng.chance(0.5) ? buf[at] ^ (1 << rng.int(8)) : rng.int(256);
  }
}

/** Content-Length set to what the body is, so a mutation reaches past the parser most of the time. */
function fixContentLength(p: SipParts): void {
  const len = Buffer.byteLength(p.body, 'latin1');
  let seen = false;
  p.headers = p.headers.map((h) => {
    const n = headerName(h);
    if (n !== 'content-length' && n !== 'l') return h;
    seen = true;
    return `Content-Length: ${len}`;
  });
  if (!seen) p.headers.push(`Content-Length: ${len}`);
}

export interface Mutated {
  msg: Buffer;
  ops: string[];
}

/**
 * 1 to 4 mutations of `seed`; header lines for which `isProtected` says yes (and the start
 * line, when it says yes for it) are never touched, so valid credentials stay valid.
 */
export function mutate(rng: Rng, seed: Buffer, isProtected: (line: string) => boolean = () => false): Mutated {
  const p = split(seed);
  const ops: string[] = [];
  const count = 1 + rng.int(4);
  let lengthLies = false;
  for (let k = 0; k < count; k++) {
    const op = rng.chance(0.15) ? 'flipBytes' : rng.pick(NAMES);
    ops.push(op);
    if (op === 'badContentLength' || op === 'truncate') lengthLies = true;
    if (op !== 'flipBytes') MUTATIONS[op](rng, p, isProtected);
  }
  if (!lengthLies && rng.chance(0.85)) fixContentLength(p);
  let msg = join(p);
  if (ops.includes('flipBytes')) {
    const text = msg.toString('latin1');
    const ranges: Array<[number, number]> = [];
    let at = 0;
    for (const line of text.split('\r\n')) {
      if (isProtected(line)) ranges.push([at, at + line.length]);
      at += line.length + 2;
    }
    msg = Buffer.from(msg);
    flipBytes(rng, msg, 1 + rng.int(20), (i) => !ranges.some(([a, b]) => i >= a && i < b));
  }
  if (msg.length > MAX_DATAGRAM) msg = msg.subarray(0, MAX_DATAGRAM);
  return { msg, ops };
}

/**
 * New Call-ID, top Via branch and From tag: every fuzzed message is a new transaction and
 * a new dialog, not a retransmission the engine absorbs (RFC 3261 17.2.3).
 */
export function freshen(seed: Buffer, rng: Rng): Buffer {
  const p = split(seed);
  let via = false;
  p.headers = p.headers.map((h) => {
    const n = headerName(h);
    if (n === 'call-id' || n === 'i') return `Call-ID: fz-${rng.token(16)}`;
    if ((n === 'via' || n === 'v') && !via) {
      via = true;
      return replaceParam(h, 'branch=', `z9hG4bK-fz${rng.token(12)}`);
    }
    if (n === 'from' || n === 'f') return replaceParam(h, 'tag=', `fz${rng.token(8)}`);
    return h;
  });
  return join(p);
}

/** The value of the first `name` parameter (up to ; , or the end) replaced; the line unchanged if it has none. */
export function replaceParam(line: string, name: string, value: string): string {
  const at = line.toLowerCase().indexOf(name);
  if (at < 0) return line;
  let end = at + name.length;
  while (end < line.length && line[end] !== ';' && line[end] !== ',' && line[end] !== ' ' && line[end] !== '>') end++;
  return line.slice(0, at + name.length) + value + line.slice(end);
}
