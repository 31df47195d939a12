import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { header, newBranch, parseSip, responseText, type SipMessage } from '../../test/integration/races/sip-message';

/**
 * The bench's raw SIP user agent over UDP on 127.0.0.1: a few sockets, each standing for
 * a few hundred phones (the Contact of every dialog names its socket), non-INVITE client
 * transactions with retransmission (RFC 3261 17.1.2.2: Timer E from T1 doubling to T2,
 * Timer F at 64*T1), and every request that arrives (NOTIFY) answered 200 at once, its
 * retransmissions too (RFC 3261 17.2.2: the answer is idempotent here).
 */

const T1 = 500;
const T2 = 4000;
const TIMER_F = 64 * T1;
/** a datagram bigger than this is no message of the server's (RFC 3261 18.1.1: 1300 octets expected over UDP) */
const MAX_DATAGRAM = 65535;

export interface OutRequest {
  method: string;
  uri: string;
  from: string;
  to: string;
  callId: string;
  cseq: number;
  headers?: Record<string, string>;
  body?: string;
  contentType?: string;
}

export interface Sent {
  res: SipMessage;
  /** when the transaction's first transmission left (ms, performance.now) */
  sentAt: number;
  /** when its final response arrived */
  answeredAt: number;
  retransmissions: number;
}

/** A request that arrived (a NOTIFY), with when it was read. */
export type RequestListener = (req: SipMessage, at: number, socket: number) => void;

interface Txn {
  resolve(s: Sent): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  sentAt: number;
  retransmissions: number;
}

export class UdpUa {
  private readonly sockets: dgram.Socket[] = [];
  private readonly ports: number[] = [];
  private readonly txns = new Map<string, Txn>();
  private listener: RequestListener = () => undefined;
  /** counters for the report */
  readonly stats = { requestsIn: 0, requestRetransmissionsIn: 0, retransmissionsOut: 0, timeouts: 0, unparsable: 0 };
  private readonly seenRequests = new Set<string>();

  constructor(private readonly server: { host: string; port: number }) {}

  /** Binds `count` sockets on ephemeral ports of 127.0.0.1 with receive buffers of `recvBuffer` octets (the kernel may clamp it). */
  async open(count: number, recvBuffer: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const s = dgram.createSocket({ type: 'udp4', recvBufferSize: recvBuffer });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(0, '127.0.0.1', () => {
          s.off('error', reject);
          resolve();
        });
      });
      s.on('error', () => undefined);
      s.on('message', (buf, rinfo) => this.onMessage(buf, rinfo, i));
      this.sockets.push(s);
      this.ports.push(s.address().port);
    }
  }

  port(socket: number): number {
    return this.ports[socket];
  }

  get socketCount(): number {
    return this.sockets.length;
  }

  onRequest(l: RequestListener): void {
    this.listener = l;
  }

  /** Sends a request from `socket` and resolves with its final response; rejects at Timer F. */
  request(socket: number, r: OutRequest): Promise<Sent> {
    const branch = newBranch();
    const text = this.requestText(socket, branch, r);
    const buf = Buffer.from(text);
    return new Promise<Sent>((resolve, reject) => {
      const sentAt = performance.now();
      let interval = T1;
      const send = (): void => this.sockets[socket].send(buf, this.server.port, this.server.host);
      const retransmit = (): void => {
        if (performance.now() - sentAt >= TIMER_F) {
          this.txns.delete(branch);
          this.stats.timeouts++;
          reject(new Error(`${r.method} ${r.uri}: no final response within ${TIMER_F} ms (Timer F)`));
          return;
        }
        send();
        txn.retransmissions++;
        this.stats.retransmissionsOut++;
        interval = Math.min(interval * 2, T2);
        txn.timer = setTimeout(retransmit, interval);
      };
      const txn: Txn = { resolve, reject, sentAt, retransmissions: 0, timer: setTimeout(retransmit, interval) };
      this.txns.set(branch, txn);
      send();
    });
  }

  async close(): Promise<void> {
    for (const t of this.txns.values()) {
      clearTimeout(t.timer);
      t.reject(new Error('closed'));
    }
    this.txns.clear();
    await Promise.all(this.sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.sockets.length = 0;
  }

  private requestText(socket: number, branch: string, r: OutRequest): string {
    const lines = [
      `${r.method} ${r.uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.ports[socket]};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: ${r.from}`,
      `To: ${r.to}`,
      `Call-ID: ${r.callId}`,
      `CSeq: ${r.cseq} ${r.method}`,
    ];
    for (const [name, value] of Object.entries(r.headers ?? {})) lines.push(`${name}: ${value}`);
    const body = r.body ?? '';
    if (body) lines.push(`Content-Type: ${r.contentType ?? 'text/plain'}`);
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
    return lines.join('\r\n');
  }

  private onMessage(buf: Buffer, rinfo: dgram.RemoteInfo, socket: number): void {
    const at = performance.now();
    if (buf.length > MAX_DATAGRAM) return;
    let m: SipMessage;
    try {
      m = parseSip(buf.toString('utf8'));
    } catch {
      this.stats.unparsable++;
      return;
    }
    if (m.status !== undefined) {
      if (m.status < 200) return;
      const via = header(m, 'via');
      const i = via.indexOf('branch=');
      const branch = i === -1 ? '' : via.slice(i + 7).split(/[;,\s]/)[0] ?? '';
      const txn = this.txns.get(branch);
      if (!txn) return; // a retransmitted final response
      this.txns.delete(branch);
      clearTimeout(txn.timer);
      txn.resolve({ res: m, sentAt: txn.sentAt, answeredAt: at, retransmissions: txn.retransmissions });
      return;
    }
    if (!m.method) {
      this.stats.unparsable++;
      return;
    }
    // RFC 3261 8.2.6: answer every request; 200 to a NOTIFY keeps the subscription (RFC 6665 4.1.3)
    this.sockets[socket].send(Buffer.from(responseText(m, 200, '')), rinfo.port, rinfo.address);
    const key = `${header(m, 'call-id')} ${header(m, 'cseq')}`;
    if (this.seenRequests.has(key)) {
      this.stats.requestRetransmissionsIn++;
      return;
    }
    // bounded: a dialog's CSeq moves on, so only the recent keys matter for retransmissions
    if (this.seenRequests.size >= 200000) this.seenRequests.clear();
    this.seenRequests.add(key);
    this.stats.requestsIn++;
    this.listener(m, at, socket);
  }
}

export function randomTag(): string {
  return randomBytes(6).toString('hex');
}
