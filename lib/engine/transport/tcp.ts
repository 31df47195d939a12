import net from 'node:net';
import { parseStream } from '../sip/parser';
import type { LocalAddress, Peer, Transport, TransportEvents } from './types';

interface Conn {
  id: number;
  socket: net.Socket;
  key: string;
  buffer: Buffer;
  stallTimer?: NodeJS.Timeout;
}

export interface TcpOptions {
  maxMessage: number;
  /** a connection that sent part of a message and then nothing for this long is closed */
  stallMs: number;
  /** a connection with no traffic at all for this long is closed */
  idleMs: number;
}

/**
 * SIP over TCP (RFC 3261 18.3): messages framed by Content-Length, connections reused
 * in both directions and keyed by the peer's address:port (RFC 3261 18.2.2 sends
 * responses back over the connection the request came on).
 */
export class TcpTransport implements Transport {
  readonly name = 'tcp' as const;
  private readonly conns = new Map<number, Conn>();
  private readonly byKey = new Map<string, Conn>();
  private nextId = 1;

  private constructor(private readonly server: net.Server, readonly local: LocalAddress,
    private readonly events: TransportEvents, private readonly opts: TcpOptions) {}

  static async listen(address: string, port: number, opts: TcpOptions, events: TransportEvents): Promise<TcpTransport> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address() as net.AddressInfo;
    const t = new TcpTransport(server, { address: bound.address, port: bound.port }, events, opts);
    server.on('connection', (socket) => t.adopt(socket));
    return t;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  private adopt(socket: net.Socket): Conn {
    socket.setNoDelay(true);
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const conn: Conn = { id: this.nextId++, socket, key, buffer: Buffer.alloc(0) };
    this.conns.set(conn.id, conn);
    this.byKey.set(key, conn);
    socket.setTimeout(this.opts.idleMs, () => socket.destroy());
    socket.on('data', (chunk) => this.onChunk(conn, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(conn.stallTimer);
      this.conns.delete(conn.id);
      if (this.byKey.get(key) === conn) this.byKey.delete(key);
    });
    return conn;
  }

  private peerOf(conn: Conn): Peer {
    return { transport: 'tcp', address: conn.socket.remoteAddress ?? '', port: conn.socket.remotePort ?? 0, connId: conn.id };
  }

  private onChunk(conn: Conn, chunk: Buffer): void {
    conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
    for (;;) {
      const r = parseStream(conn.buffer, this.opts.maxMessage);
      if (r.kind === 'incomplete') break;
      if (r.kind === 'skip') {
        conn.buffer = conn.buffer.subarray(r.consumed);
        continue;
      }
      if (r.kind === 'error' && (r.reason === 'bad Content-Length' || r.reason.includes('too large'))) {
        // RFC 4475 3.1.2.3 / 3.3.9: framing is lost, the connection must go
        this.events.onBadInput(r.reason, this.peerOf(conn));
        conn.socket.destroy();
        return;
      }
      const msgBytes = conn.buffer.subarray(0, r.consumed);
      conn.buffer = conn.buffer.subarray(r.consumed);
      this.events.onData(Buffer.from(msgBytes), this.peerOf(conn));
    }
    clearTimeout(conn.stallTimer);
    conn.stallTimer = undefined;
    if (conn.buffer.length > 0) {
      // RFC 4475 3.1.2.2: on a stream, wait for the rest of the message, but not forever
      conn.stallTimer = setTimeout(() => {
        this.events.onBadInput('partial message stalled', this.peerOf(conn));
        conn.socket.destroy();
      }, this.opts.stallMs);
    }
  }

  async send(buf: Buffer, peer: Peer): Promise<Peer> {
    let conn = peer.connId !== undefined ? this.conns.get(peer.connId) : undefined;
    conn ??= this.byKey.get(`${peer.address}:${peer.port}`);
    conn ??= await this.connect(peer);
    const c = conn;
    await new Promise<void>((resolve, reject) => c.socket.write(buf, (err) => (err ? reject(err) : resolve())));
    return this.peerOf(c);
  }

  private connect(peer: Peer): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: peer.address, port: peer.port, localAddress: this.local.address });
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), 5000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(this.adopt(socket));
      });
    });
  }

  async close(): Promise<void> {
    for (const c of this.conns.values()) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
