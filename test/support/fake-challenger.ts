import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

/**
 * `Challenger`: a minimal UDP UAS for the self-test of test/scenarios/core-*.xml. It
 * challenges every new INVITE with 407 and checks the digest of the retry (uri =
 * request-URI included), so a wrong -auth_uri in a scenario shows up without the
 * feature server.
 */
export const HOST = '127.0.0.1';
const REALM = HOST;
const USERS: Record<string, string> = { alice: 's3cret' };
export const ALICE = { username: 'alice', password: 's3cret' };

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

interface SipMessage {
  firstLine: string;
  headers: Array<[string, string]>;
  body: string;
  raw: string;
}

function parse(raw: string): SipMessage {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  const [firstLine = '', ...lines] = head.split('\r\n');
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { firstLine, headers, body, raw };
}

const all = (m: SipMessage, name: string): string[] => m.headers.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
const get = (m: SipMessage, name: string): string => all(m, name)[0] ?? '';
export const branchOf = (via: string): string => /;branch=([^;\s]+)/.exec(via)?.[1] ?? '';
const hasTag = (nameAddr: string): boolean => /;tag=/.test(nameAddr.slice(nameAddr.lastIndexOf('>') + 1));

/** Digest parameters of a `Digest k=v, k="v"` credentials header. */
function digestParams(value: string): Record<string, string> | null {
  if (!/^Digest\s/i.test(value)) return null;
  const out: Record<string, string> = {};
  for (const m of value.slice(7).matchAll(/(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]+))/g)) out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  return out;
}

function answerSdp(version: number, offer: string): string {
  const dir = /a=(sendonly|recvonly|inactive|sendrecv)/.exec(offer)?.[1] ?? 'sendrecv';
  const mirrored = dir === 'sendonly' ? 'recvonly' : dir === 'recvonly' ? 'sendonly' : dir;
  return ['v=0', `o=fake 3000 ${version} IN IP4 ${HOST}`, 's=-', `c=IN IP4 ${HOST}`, 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', `a=${mirrored}`, ''].join('\r\n');
}

/** What the challenger does with an INVITE whose credentials verify. */
export type Behaviour =
  | { kind: 'answer' } // 100, 180, 200 (SDP, Record-Route)
  | { kind: 'answer-then-bye' } // the same, then a BYE once the 200 is ACKed
  | { kind: 'ring' } // 100, 180, then waits for the CANCEL: 200 and 487
  | { kind: 'reject'; status: number; reason: string }; // 100, then this final response

/**
 * A minimal UDP UAS in the feature server's place: every INVITE outside a dialog without
 * Proxy-Authorization gets 407 (Digest, realm 127.0.0.1, qop="auth", algorithm=MD5);
 * the retry's digest is checked (user, realm, nonce, uri == request-URI, qop, response)
 * and answered per `Behaviour`, or 403 when it does not verify. In-dialog INVITEs get
 * 200 (SDP mirroring the offer), BYE and OPTIONS 200, CANCEL 200 and 487, ACK nothing.
 * A retransmitted request gets the last response sent for it again.
 */
export class Challenger {
  readonly received: SipMessage[] = [];
  /** why a digest did not verify, one entry per rejected INVITE */
  readonly authFailures: string[] = [];
  /** the credentials that verified */
  readonly authorized: Array<{ username: string; uri: string }> = [];
  port = 0;
  private readonly socket = dgram.createSocket('udp4');
  private readonly nonce = randomBytes(12).toString('hex');
  private readonly tag = randomBytes(4).toString('hex');
  private readonly lastResponse = new Map<string, string>();
  private readonly ringing = new Map<string, { invite: SipMessage; key: string }>();
  private sdpVersion = 0;
  private answeredCseq = new Map<string, string>();

  constructor(private readonly behaviour: Behaviour) {}

  async start(): Promise<this> {
    this.socket.on('message', (buf, rinfo) => this.onMessage(buf.toString('utf8'), rinfo));
    await new Promise<void>((resolve) => this.socket.bind(0, HOST, resolve));
    this.port = this.socket.address().port;
    return this;
  }

  close(): void {
    this.socket.close();
  }

  get remote(): string {
    return `${HOST}:${this.port}`;
  }

  private send(text: string, rinfo: dgram.RemoteInfo): void {
    this.socket.send(text, rinfo.port, rinfo.address);
  }

  private respond(req: SipMessage, rinfo: dgram.RemoteInfo, status: number, reason: string, opts: { extra?: string[]; body?: string; cseq?: string } = {}): void {
    const to = get(req, 'To');
    const lines = [
      `SIP/2.0 ${status} ${reason}`,
      ...all(req, 'Via').map((v) => `Via: ${v}`),
      `From: ${get(req, 'From')}`,
      `To: ${status > 100 && !hasTag(to) ? `${to};tag=${this.tag}` : to}`,
      `Call-ID: ${get(req, 'Call-ID')}`,
      `CSeq: ${opts.cseq ?? get(req, 'CSeq')}`,
      ...(opts.extra ?? []),
    ];
    const body = opts.body ?? '';
    if (body) lines.push('Content-Type: application/sdp');
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
    const text = lines.join('\r\n');
    const key = `${branchOf(all(req, 'Via')[0] ?? '')}|${req.firstLine.split(' ')[0]}`;
    this.lastResponse.set(key, text);
    this.send(text, rinfo);
  }

  private onMessage(raw: string, rinfo: dgram.RemoteInfo): void {
    const msg = parse(raw);
    this.received.push(msg);
    if (msg.firstLine.startsWith('SIP/2.0')) return; // e.g. the 200 for our BYE
    const [method = '', uri = ''] = msg.firstLine.split(' ');
    const key = `${branchOf(all(msg, 'Via')[0] ?? '')}|${method}`;
    const previous = this.lastResponse.get(key);
    if (previous !== undefined && method !== 'ACK') {
      this.send(previous, rinfo); // retransmission
      return;
    }
    const callId = get(msg, 'Call-ID');
    const contact = [`Contact: <sip:fake@${HOST}:${this.port}>`];
    switch (method) {
      case 'INVITE': {
        if (hasTag(get(msg, 'To'))) {
          this.respond(msg, rinfo, 200, 'OK', { extra: contact, body: answerSdp(++this.sdpVersion, msg.body) });
          return;
        }
        const credentials = get(msg, 'Proxy-Authorization');
        if (!credentials) {
          this.respond(msg, rinfo, 407, 'Proxy Authentication Required', {
            extra: [`Proxy-Authenticate: Digest realm="${REALM}", nonce="${this.nonce}", qop="auth", algorithm=MD5`],
          });
          return;
        }
        const failure = this.verify(credentials, uri);
        if (failure) {
          this.authFailures.push(failure);
          this.respond(msg, rinfo, 403, 'Forbidden');
          return;
        }
        this.respond(msg, rinfo, 100, 'Trying');
        const b = this.behaviour;
        if (b.kind === 'reject') {
          this.respond(msg, rinfo, b.status, b.reason);
          return;
        }
        this.respond(msg, rinfo, 180, 'Ringing', { extra: contact });
        if (b.kind === 'ring') {
          this.ringing.set(callId, { invite: msg, key });
          return;
        }
        this.answeredCseq.set(callId, get(msg, 'CSeq').split(' ')[0] ?? '');
        this.respond(msg, rinfo, 200, 'OK', {
          extra: [`Record-Route: <sip:${HOST}:${this.port};lr>`, ...contact],
          body: answerSdp(++this.sdpVersion, msg.body),
        });
        return;
      }
      case 'ACK':
        if (this.behaviour.kind === 'answer-then-bye' && this.answeredCseq.get(callId) === get(msg, 'CSeq').split(' ')[0]) {
          this.answeredCseq.delete(callId);
          this.sendBye(msg, rinfo);
        }
        return;
      case 'CANCEL': {
        this.respond(msg, rinfo, 200, 'OK');
        const pending = this.ringing.get(callId);
        if (pending) {
          this.ringing.delete(callId);
          this.respond(pending.invite, rinfo, 487, 'Request Terminated');
        }
        return;
      }
      case 'BYE':
      case 'OPTIONS':
        this.respond(msg, rinfo, 200, 'OK');
        return;
      default:
        this.respond(msg, rinfo, 501, 'Not Implemented');
    }
  }

  /** null when the credentials verify, else why not */
  private verify(credentials: string, requestUri: string): string | null {
    const p = digestParams(credentials);
    if (!p) return `not Digest: ${credentials}`;
    const password = USERS[p.username ?? ''];
    if (password === undefined) return `unknown user ${p.username}`;
    if (p.realm !== REALM) return `realm ${p.realm}`;
    if (p.nonce !== this.nonce) return `nonce ${p.nonce}`;
    if (p.uri !== requestUri) return `digest uri ${p.uri} is not the request-URI ${requestUri}`;
    if (p.qop !== 'auth' || !p.nc || !p.cnonce) return `qop ${p.qop} nc ${p.nc} cnonce ${p.cnonce}`;
    if (p.algorithm && p.algorithm.toUpperCase() !== 'MD5') return `algorithm ${p.algorithm}`;
    const ha1 = md5(`${p.username}:${REALM}:${password}`);
    const ha2 = md5(`INVITE:${p.uri}`);
    const expected = md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`);
    if (p.response !== expected) return `response ${p.response}, expected ${expected}`;
    this.authorized.push({ username: p.username ?? '', uri: p.uri ?? '' });
    return null;
  }

  /** BYE to the caller's Contact, in the dialog the ACKed 200 set up. */
  private sendBye(ack: SipMessage, rinfo: dgram.RemoteInfo): void {
    const invite = [...this.received].reverse().find((m) => m.firstLine.startsWith('INVITE ') && get(m, 'Call-ID') === get(ack, 'Call-ID'));
    const target = /<([^>]+)>/.exec(get(invite ?? ack, 'Contact'))?.[1] ?? `sip:${rinfo.address}:${rinfo.port}`;
    this.send([
      `BYE ${target} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=z9hG4bK${randomBytes(6).toString('hex')}`,
      `From: ${get(ack, 'To')}`,
      `To: ${get(ack, 'From')}`,
      `Call-ID: ${get(ack, 'Call-ID')}`,
      'CSeq: 1 BYE',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'), rinfo);
  }
}

// ---------- helpers ----------
