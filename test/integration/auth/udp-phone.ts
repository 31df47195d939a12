import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

/** A SIP response as the phone saw it: status and every header value by lower-case name. */
export interface Reply {
  status: number;
  reason: string;
  headers: Map<string, string[]>;
  raw: string;
}

export interface RequestSpec {
  method: 'REGISTER' | 'INVITE';
  uri: string;
  from: string;
  to: string;
  callId?: string;
  cseq?: number;
  headers?: Record<string, string | string[]>;
}

const T1_MS = 500;
const T2_MS = 4000;

/**
 * A bare UDP phone for the authentication tests: it sends exactly the request it is
 * given (so a test can replay credentials byte for byte) from a chosen loopback address
 * (each test its own, so failure counts and bans of one never touch another), and
 * resolves with the first final response of that transaction (ACKing a non-2xx INVITE
 * response, RFC 3261 17.1.1.3). Like a phone it retransmits the same bytes over UDP
 * (RFC 3261 17.1.1.2 timer A, 17.1.2.2 timer E) until a response arrives (INVITE) or a
 * final one (other methods): a datagram lost in a burst is sent again, not a failed test.
 */
export class UdpPhone {
  private readonly socket = dgram.createSocket('udp4');
  private readonly waiting = new Map<string, (r: Reply) => void>();
  /** branches that got a provisional response (an INVITE then stops retransmitting) */
  private readonly provisional = new Set<string>();
  private port = 0;

  constructor(readonly address: string, private readonly server: { host: string; port: number }) {}

  async start(): Promise<this> {
    this.socket.on('message', (buf) => this.receive(buf.toString('utf8')));
    await new Promise<void>((resolve) => this.socket.bind(0, this.address, resolve));
    this.port = this.socket.address().port;
    return this;
  }

  close(): void {
    this.socket.close();
  }

  get contact(): string {
    return `<sip:phone@${this.address}:${this.port}>`;
  }

  async send(spec: RequestSpec, timeoutMs = 10000): Promise<Reply> {
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const callId = spec.callId ?? randomBytes(8).toString('hex');
    const cseq = spec.cseq ?? 1;
    const lines = [
      `${spec.method} ${spec.uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.address}:${this.port};branch=${branch};rport`,
      `From: ${spec.from};tag=${randomBytes(4).toString('hex')}`,
      `To: ${spec.to}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${spec.method}`,
      'Max-Forwards: 70',
    ];
    for (const [name, value] of Object.entries(spec.headers ?? {})) {
      for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
    }
    let body = '';
    if (spec.method === 'INVITE') {
      body = ['v=0', `o=- 1 1 IN IP4 ${this.address}`, 's=-', `c=IN IP4 ${this.address}`, 't=0 0', 'm=audio 40000 RTP/AVP 0', ''].join('\r\n');
      lines.push(`Contact: ${this.contact}`, 'Content-Type: application/sdp');
    }
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
    const text = lines.join('\r\n');
    let rtx: NodeJS.Timeout | undefined;
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearTimeout(rtx);
        this.waiting.delete(branch);
        this.provisional.delete(branch);
        reject(new Error(`no final response to ${spec.method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(branch, (r) => {
        clearTimeout(timer);
        clearTimeout(rtx);
        this.provisional.delete(branch);
        resolve(r);
      });
    });
    // RFC 3261 17.1.2.2: T1, doubling up to T2 (for an INVITE, timer A until any response)
    const retransmit = (interval: number): void => {
      rtx = setTimeout(() => {
        if (!this.waiting.has(branch) || (spec.method === 'INVITE' && this.provisional.has(branch))) return;
        this.socket.send(text, this.server.port, this.server.host);
        retransmit(Math.min(interval * 2, T2_MS));
      }, interval);
    };
    this.socket.send(text, this.server.port, this.server.host);
    retransmit(T1_MS);
    const r = await reply;
    if (spec.method === 'INVITE' && r.status >= 300) {
      const to = r.headers.get('to')?.[0] ?? spec.to;
      const ack = [`ACK ${spec.uri} SIP/2.0`, `Via: SIP/2.0/UDP ${this.address}:${this.port};branch=${branch};rport`,
        `From: ${r.headers.get('from')?.[0]}`, `To: ${to}`, `Call-ID: ${callId}`, `CSeq: ${cseq} ACK`, 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join('\r\n');
      this.socket.send(ack, this.server.port, this.server.host);
    }
    return r;
  }

  private receive(raw: string): void {
    const head = raw.split('\r\n\r\n')[0] ?? '';
    const [first = '', ...lines] = head.split('\r\n');
    const m = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(first);
    if (!m) return;
    const headers = new Map<string, string[]>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon < 1) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    const status = Number(m[1]);
    const branch = /branch=([^;\s]+)/.exec(headers.get('via')?.[0] ?? '')?.[1] ?? '';
    if (status < 200) {
      if (this.waiting.has(branch)) this.provisional.add(branch);
      return;
    }
    const done = this.waiting.get(branch);
    if (!done) return;
    this.waiting.delete(branch);
    done({ status, reason: m[2] ?? '', headers, raw });
  }
}
