import { randomBytes } from 'node:crypto';

/**
 * SIP messages as the race suite's raw phone (sip-peer.ts) reads them: split by lines,
 * compact header names expanded; they come from the server under test, on loopback.
 */
export interface SipMessage {
  /** request method, or undefined for a response */
  method?: string;
  uri?: string;
  status?: number;
  headers: Map<string, string[]>;
  body: string;
  raw: string;
  at: number;
}

export function header(m: SipMessage, name: string): string {
  return m.headers.get(name.toLowerCase())?.[0] ?? '';
}

export function tagOf(value: string): string {
  const i = value.indexOf(';tag=');
  if (i === -1) return '';
  return value.slice(i + 5).split(/[;>\s]/)[0] ?? '';
}

export function cseqOf(m: SipMessage): { n: number; method: string } {
  const [n = '0', method = ''] = header(m, 'cseq').split(/\s+/);
  return { n: Number(n), method };
}

export function branchOf(m: SipMessage): string {
  const via = header(m, 'via');
  const i = via.indexOf('branch=');
  return i === -1 ? '' : via.slice(i + 7).split(/[;,\s]/)[0] ?? '';
}

export function uriOf(nameAddr: string): string {
  const lt = nameAddr.indexOf('<');
  return lt === -1 ? nameAddr.split(';')[0]!.trim() : nameAddr.slice(lt + 1, nameAddr.indexOf('>', lt));
}

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type' };

export function m2xxTarget(r: SipMessage): string | undefined {
  const c = header(r, 'contact');
  return c ? uriOf(c) : undefined;
}

export function parseSip(raw: string): SipMessage {
  const split = raw.indexOf('\r\n\r\n');
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split + 4);
  const [first = '', ...lines] = head.split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 1) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT[raw] ?? raw;
    const values = name === 'via' || name === 'record-route' || name === 'route'
      ? line.slice(colon + 1).split(',').map((v) => v.trim())
      : [line.slice(colon + 1).trim()];
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  const at = Date.now();
  if (first.startsWith('SIP/2.0 ')) return { status: Number(first.slice(8, 11)), headers, body, raw, at };
  const [method = '', uri = ''] = first.split(' ');
  return { method, uri, headers, body, raw, at };
}

/** the parts of a request this phone sends */
export interface RequestParts {
  method: string;
  uri: string;
  from: string;
  to: string;
  callId: string;
  cseq: number;
  /** the Via branch; a new one when not given */
  branch?: string;
  body?: string;
  headers?: Record<string, string>;
  routes?: string[];
  cseqMethod?: string;
}

export interface ResponseOptions {
  toTag?: string;
  body?: string;
  reason?: string;
  headers?: Record<string, string>;
}

export function newBranch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}

/** A request sent from `via` (host:port); an SDP body when there is one. */
export function requestText(via: string, r: RequestParts): string {
  const lines = [
    `${r.method} ${r.uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${via};branch=${r.branch ?? newBranch()};rport`,
    'Max-Forwards: 70',
    `From: ${r.from}`,
    `To: ${r.to}`,
    `Call-ID: ${r.callId}`,
    `CSeq: ${r.cseq} ${r.cseqMethod ?? r.method}`,
    ...(r.routes ?? []).map((x) => `Route: ${x}`),
  ];
  for (const [name, value] of Object.entries(r.headers ?? {})) lines.push(`${name}: ${value}`);
  return withBody(lines, r.body);
}

/** RFC 3261 8.2.6.2: a response copies Via, From, To (+ tag), Call-ID, CSeq; a 2xx to INVITE carries `contact` */
export function responseText(req: SipMessage, status: number, contact: string, opts: ResponseOptions = {}): string {
  const to = header(req, 'to');
  const lines = [`SIP/2.0 ${status} ${opts.reason ?? (status < 300 ? 'OK' : 'Failed')}`];
  for (const v of req.headers.get('via') ?? []) lines.push(`Via: ${v}`);
  for (const v of req.headers.get('record-route') ?? []) lines.push(`Record-Route: ${v}`);
  lines.push(`From: ${header(req, 'from')}`, `To: ${opts.toTag && !tagOf(to) ? `${to};tag=${opts.toTag}` : to}`,
    `Call-ID: ${header(req, 'call-id')}`, `CSeq: ${header(req, 'cseq')}`);
  if (req.method === 'INVITE' && status < 300) lines.push(`Contact: ${contact}`);
  for (const [name, value] of Object.entries(opts.headers ?? {})) lines.push(`${name}: ${value}`);
  return withBody(lines, opts.body);
}

function withBody(lines: string[], body = ''): string {
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return lines.join('\r\n');
}
