import fs from 'node:fs';
import path from 'node:path';

/**
 * Valid SIP messages the mutation fuzzer starts from: every message the project's sipp
 * scenarios send (test/scenarios/*.xml, with sipp's keywords filled in) and the RFC 4475
 * torture messages (test/data/rfc4475), all with their addresses rewritten to loopback.
 * Only the repository is read, never anything beside it.
 */
export interface Seed {
  /** where it comes from: "core-call.xml#2", "rfc4475/wsinv.dat" */
  name: string;
  text: Buffer;
}

export interface SeedAddresses {
  /** the server under test */
  targetHost: string;
  targetPort: number;
  /** the fuzzer's own socket: Via and Contact point here */
  localHost: string;
  localPort: number;
  /** a user the messages name (From/To/Request-URI), e.g. a provisioned callee */
  user: string;
}

const ROOT = (() => {
  let dir = __dirname;
  for (let i = 0; i < 8 && !fs.existsSync(path.join(dir, 'package.json')); i++) dir = path.dirname(dir);
  return dir;
})();

/** The CDATA text of every <send> in a sipp scenario, in order. */
export function sendBlocks(xml: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const send = xml.indexOf('<send', at);
    if (send < 0) return out;
    const open = xml.indexOf('<![CDATA[', send);
    const close = open < 0 ? -1 : xml.indexOf(']]>', open);
    const end = xml.indexOf('</send>', send);
    if (open < 0 || close < 0 || (end >= 0 && open > end)) {
      at = send + 5;
      continue;
    }
    out.push(xml.slice(open + 9, close));
    at = close + 3;
  }
}

/** sipp's `[last_X:]` keywords: a header of that name that would have been copied from the last message. */
function lastHeader(name: string, a: SeedAddresses): string {
  switch (name.toLowerCase()) {
    case 'via': return `Via: SIP/2.0/UDP ${a.localHost}:${a.localPort};branch=z9hG4bK-seed;rport`;
    case 'to': return `To: <sip:${a.user}@${a.targetHost}>;tag=seedto`;
    case 'from': return `From: <sip:caller@${a.targetHost}>;tag=seedfrom`;
    case 'call-id': return 'Call-ID: seed-call-id';
    case 'cseq': return 'CSeq: 1 INVITE';
    case 'contact': return `Contact: <sip:${a.user}@${a.localHost}:${a.localPort}>`;
    default: return '';
  }
}

/** Fills in sipp's keywords with loopback values (one fixed value per keyword: the fuzzer varies them later). */
function fillKeywords(block: string, a: SeedAddresses): string {
  const fixed: Record<string, string> = {
    local_ip: a.localHost, local_port: String(a.localPort), remote_ip: a.targetHost, remote_port: String(a.targetPort),
    transport: 'UDP', service: a.user, pid: '4242', call_number: '1', cseq: '1', call_id: 'seed-call-id', branch: 'z9hG4bK-seed',
    media_ip: a.localHost, media_ip_type: '4', local_ip_type: '4', media_port: '40000', next_url: `sip:${a.user}@${a.targetHost}:${a.targetPort}`,
    routes: '', peer_tag_param: ';tag=seedto', authentication: '', last_cseq_number: '1', clock_tick: '1000', len: '@LEN@',
  };
  let out = '';
  let at = 0;
  for (;;) {
    const open = block.indexOf('[', at);
    const close = open < 0 ? -1 : block.indexOf(']', open);
    // a keyword is short and on one line; anything else (an IPv6 literal, SDP) is kept as it is
    if (open < 0 || close < 0 || close - open > 60 || block.slice(open, close).includes('\n')) {
      out += block.slice(at);
      return out;
    }
    const key = block.slice(open + 1, close);
    out += block.slice(at, open);
    if (key.startsWith('last_') && key.endsWith(':')) out += lastHeader(key.slice(5, -1), a);
    else if (key.startsWith('$') || key.startsWith('field')) out += key.includes('port') ? '40002' : a.user;
    else if (key.startsWith('authentication')) out += '';
    else if (key in fixed) out += fixed[key];
    else out += block.slice(open, close + 1);
    at = close + 1;
  }
}

/** A sipp CDATA block as a wire message: lines trimmed, CRLF, header lines that became empty dropped, Content-Length computed. */
export function blockToMessage(block: string, a: SeedAddresses): Buffer {
  const lines = fillKeywords(block, a).split('\n').map((l) => l.trim());
  while (lines.length && lines[0] === '') lines.shift();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const blank = lines.indexOf('');
  const head = (blank < 0 ? lines : lines.slice(0, blank)).filter((l) => l !== '');
  const body = blank < 0 ? '' : `${lines.slice(blank + 1).join('\r\n')}\r\n`;
  const len = Buffer.byteLength(body);
  return Buffer.from(`${head.map((l) => l.replace('@LEN@', String(len))).join('\r\n')}\r\n\r\n${body}`);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Every dotted-quad IPv4 literal that is not already 127.x.x.x becomes `host` (RFC 4475
 * names 192.0.2.x, 255.255.255.255 and a public address): nothing the server answers or
 * calls back may leave loopback. A linear scan, no regular expression.
 */
export function loopbackAddresses(text: string, host: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (!isDigit(c) || (i > 0 && (isDigit(text.charCodeAt(i - 1)) || text[i - 1] === '.'))) {
      out += text[i++];
      continue;
    }
    let j = i;
    let dots = 0;
    let digits = 0;
    while (j < text.length && j - i < 15) {
      const d = text.charCodeAt(j);
      if (isDigit(d)) digits++;
      else if (d === 46 && digits > 0 && digits <= 3 && dots < 3) {
        dots++;
        digits = 0;
      } else break;
      if (digits > 3) break;
      j++;
    }
    const quad = text.slice(i, j);
    if (dots === 3 && digits > 0 && !quad.startsWith('127.')) out += host;
    else out += quad;
    i = j;
  }
  return out;
}

/** The top Via's sent-by (host[:port]) replaced by ours, whatever host it named (RFC 3261 18.2.2: responses go there). */
export function rewriteTopVia(msg: Buffer, sentBy: string): Buffer {
  const text = msg.toString('latin1');
  let at = 0;
  while (at < text.length) {
    const eol = text.indexOf('\n', at);
    const end = eol < 0 ? text.length : eol;
    const line = text.slice(at, end);
    if (line.trim() === '') return msg;
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trim().toLowerCase();
    if (name === 'via' || name === 'v') {
      const semi = line.indexOf(';', colon);
      const comma = line.indexOf(',', colon);
      const stop = [semi, comma, line.length - (line.endsWith('\r') ? 1 : 0)].filter((x) => x >= 0).reduce((m, x) => Math.min(m, x));
      const value = line.slice(colon + 1, stop);
      const slash = value.lastIndexOf('/');
      // "SIP/2.0/UDP host:port": the sent-by is the last word of the value
      const words = value.slice(slash + 1).trim().split(/[ \t]+/);
      if (words.length < 2) return msg;
      const protocol = value.slice(0, slash + 1) + words[0];
      const rebuilt = `${line.slice(0, colon + 1)}${protocol} ${sentBy}${line.slice(stop)}`;
      return Buffer.concat([msg.subarray(0, at), Buffer.from(rebuilt, 'latin1'), msg.subarray(end)]);
    }
    at = end + 1;
  }
  return msg;
}

export function scenarioSeeds(a: SeedAddresses, dir = path.join(ROOT, 'test', 'scenarios')): Seed[] {
  const out: Seed[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.xml')).sort()) {
    sendBlocks(fs.readFileSync(path.join(dir, file), 'utf8')).forEach((b, i) => out.push({ name: `${file}#${i + 1}`, text: blockToMessage(b, a) }));
  }
  return out;
}

export function rfc4475Seeds(a: SeedAddresses, dir = path.join(ROOT, 'test', 'data', 'rfc4475')): Seed[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.dat')).sort().map((file) => {
    const raw = fs.readFileSync(path.join(dir, file));
    const text = Buffer.from(loopbackAddresses(raw.toString('latin1'), a.targetHost), 'latin1');
    return { name: `rfc4475/${file}`, text: rewriteTopVia(text, `${a.localHost}:${a.localPort}`) };
  });
}

export function allSeeds(a: SeedAddresses): Seed[] {
  return [...scenarioSeeds(a), ...rfc4475Seeds(a)];
}
