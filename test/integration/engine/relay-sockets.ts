import dgram from 'node:dgram';
import net from 'node:net';
import crypto from 'node:crypto';

/**
 * Raw loopback SIP peers for the relay tests: the attacker and the targets speak bytes,
 * so nothing on their side (no SIP stack) hides what the engine sends or refuses.
 */

export interface SipText {
  text: string;
  firstLine: string;
  status?: number;
  method?: string;
  header(name: string): string | undefined;
  headers(name: string): string[];
}

export function parseSip(text: string): SipText {
  const head = text.split('\r\n\r\n', 1)[0] ?? '';
  const lines = head.split('\r\n');
  const firstLine = lines[0] ?? '';
  const all = (name: string): string[] => lines.slice(1)
    .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((l) => l.slice(l.indexOf(':') + 1).trim());
  const status = firstLine.startsWith('SIP/2.0 ') ? Number(firstLine.slice(8, 11)) : undefined;
  return {
    text, firstLine, status,
    method: status === undefined ? firstLine.split(' ', 1)[0] : undefined,
    header: (name) => all(name)[0],
    headers: all,
  };
}

/** Something that collects SIP messages and lets a test wait for one. */
class Inbox {
  readonly messages: SipText[] = [];
  private waiters: Array<{ pred: (m: SipText) => boolean; resolve: (m: SipText) => void }> = [];

  push(m: SipText): void {
    this.messages.push(m);
    for (const w of [...this.waiters]) {
      if (w.pred(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  wait(pred: (m: SipText) => boolean, what: string, timeoutMs = 8000): Promise<SipText> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m: SipText) => {
        clearTimeout(timer);
        resolve(m);
      } };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms; got: ${this.messages.map((m) => m.firstLine).join(' | ') || 'nothing'}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
}

export interface UdpPeer {
  port: number;
  inbox: Inbox;
  send(text: string, port: number): void;
  close(): Promise<void>;
}

export async function udpPeer(): Promise<UdpPeer> {
  const s = dgram.createSocket('udp4');
  const inbox = new Inbox();
  s.on('message', (buf) => inbox.push(parseSip(buf.toString('utf8'))));
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: s.address().port,
    inbox,
    send: (text, port) => s.send(Buffer.from(text), port, '127.0.0.1'),
    close: () => new Promise((resolve) => s.close(() => resolve())),
  };
}

/** A SIP-over-TCP client connection to the engine; responses are split on Content-Length. */
export interface TcpPeer {
  port: number;
  inbox: Inbox;
  send(text: string): void;
  close(): void;
}

export async function tcpPeer(enginePort: number): Promise<TcpPeer> {
  const socket = net.connect(enginePort, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  const inbox = new Inbox();
  let buf = '';
  socket.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const len = Number(parseSip(buf.slice(0, end)).header('content-length') ?? '0');
      if (buf.length < end + 4 + len) return;
      inbox.push(parseSip(buf.slice(0, end + 4 + len)));
      buf = buf.slice(end + 4 + len);
    }
  });
  return { port: socket.localPort ?? 0, inbox, send: (t) => socket.write(t), close: () => socket.destroy() };
}

/** A TCP listener standing in for Redis: it only counts who connects and what arrives. */
export interface FakeService {
  port: number;
  connections: number;
  bytes: number;
  close(): Promise<void>;
}

export async function fakeTcpService(): Promise<FakeService> {
  const sockets = new Set<net.Socket>();
  const svc = { port: 0, connections: 0, bytes: 0, close: (): Promise<void> => Promise.resolve() };
  const server = net.createServer((sock) => {
    svc.connections++;
    sockets.add(sock);
    sock.on('data', (d: Buffer) => (svc.bytes += d.length));
    sock.on('error', () => undefined);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  svc.port = (server.address() as net.AddressInfo).port;
  svc.close = () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return svc;
}

export interface RequestSpec {
  method: string;
  uri: string;
  callId?: string;
  fromTag?: string;
  toTag?: string;
  routes?: string[];
  maxForwards?: number;
  cseq?: number;
  /** the sender's transport and port, for its Via */
  transport?: 'UDP' | 'TCP';
  localPort: number;
  contact?: string;
  body?: string;
}

export function branch(): string {
  return `z9hG4bK${crypto.randomBytes(6).toString('hex')}`;
}

export function request(r: RequestSpec): string {
  const body = r.body ?? '';
  const lines = [
    `${r.method} ${r.uri} SIP/2.0`,
    `Via: SIP/2.0/${r.transport ?? 'UDP'} 127.0.0.1:${r.localPort};branch=${branch()};rport`,
    `Max-Forwards: ${r.maxForwards ?? 70}`,
    `From: <sip:attacker@127.0.0.1>;tag=${r.fromTag ?? 'from1'}`,
    `To: <sip:victim@127.0.0.1>${r.toTag ? `;tag=${r.toTag}` : ''}`,
    `Call-ID: ${r.callId ?? crypto.randomBytes(8).toString('hex')}`,
    `CSeq: ${r.cseq ?? 1} ${r.method}`,
    ...(r.routes ?? []).map((x) => `Route: ${x}`),
    ...(r.contact ? [`Contact: ${r.contact}`] : []),
    ...(r.method === 'NOTIFY' ? ['Event: refer', 'Subscription-State: active'] : []),
    ...(r.method === 'REFER' ? ['Refer-To: <sip:somebody@127.0.0.1>'] : []),
    ...(body ? ['Content-Type: text/plain'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '', body,
  ];
  return lines.join('\r\n');
}

/** RFC 3261 8.2.6.2: the response a raw UAS sends, Record-Route copied (12.1.1). */
export function responseTo(req: SipText, status: number, reason: string, toTag: string, contact: string): string {
  const to = req.header('to') ?? '';
  return [
    `SIP/2.0 ${status} ${reason}`,
    ...req.headers('via').map((v) => `Via: ${v}`),
    ...req.headers('record-route').map((v) => `Record-Route: ${v}`),
    `From: ${req.header('from') ?? ''}`,
    `To: ${to.includes(';tag=') ? to : `${to};tag=${toTag}`}`,
    `Call-ID: ${req.header('call-id') ?? ''}`,
    `CSeq: ${req.header('cseq') ?? ''}`,
    `Contact: ${contact}`,
    'Content-Length: 0', '', '',
  ].join('\r\n');
}
