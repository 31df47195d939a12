import net from 'node:net';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from '../sip/limits';
import { parseStream } from '../sip/parser';
import { StreamBuffer } from './stream-buffer';
import type { LocalAddress, Peer, Transport, TransportEvents } from './types';

interface Conn {
  id: number;
  socket: net.Socket;
  key: string;
  /** the remote IP address, for the per-source limit */
  source: string;
  input: StreamBuffer;
  /** opened by a peer and no complete message from it yet */
  awaitingFirst: boolean;
  /** runs from the first octet of a message until the message is complete */
  stallTimer?: NodeJS.Timeout;
  firstTimer?: NodeJS.Timeout;
  /** ending: what was written is flushed, anything more the peer sends is dropped */
  closing?: boolean;
}

export interface TcpOptions {
  maxMessage: number;
  /** a message must be complete this long after its first octet, or the connection is closed */
  stallMs: number;
  /** a connection with no traffic at all (either way; CRLF keep-alives count) for this long is closed */
  idleMs: number;
  /** a connection a peer opened must deliver a complete message within this long */
  firstMessageMs?: number;
  /** connections from one IP address; more are closed at once */
  maxPerSource?: number;
  /** connections in all; more are closed at once */
  maxTotal?: number;
  parseLimits?: ParseLimits;
}

export const DEFAULT_TCP_LIMITS = { firstMessageMs: 5000, maxPerSource: 32, maxTotal: 4096, idleMs: 300000 };

/**
 * SIP over TCP (RFC 3261 18.3): messages framed by Content-Length, connections reused
 * in both directions and keyed by the peer's address:port (RFC 3261 18.2.2 sends
 * responses back over the connection the request came on).
 *
 * Everything a connection can make the engine hold is bounded (issue #13): the number
 * of connections per source and in all, the bytes buffered (one message), the time a
 * message may take to arrive, and the time a connection may sit idle.
 */
export class TcpTransport implements Transport {
  readonly name = 'tcp' as const;
  private readonly conns = new Map<number, Conn>();
  private readonly byKey = new Map<string, Conn>();
  private readonly perSource = new Map<string, number>();
  private nextId = 1;
  /** connections refused by the per-source or total limit */
  refused = 0;

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
    server.on('connection', (socket) => t.accept(socket));
    return t;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** A connection a peer opened: refused at once over the limits, else adopted. */
  private accept(socket: net.Socket): void {
    const source = socket.remoteAddress ?? '';
    const maxTotal = this.opts.maxTotal ?? DEFAULT_TCP_LIMITS.maxTotal;
    const maxPerSource = this.opts.maxPerSource ?? DEFAULT_TCP_LIMITS.maxPerSource;
    if (this.conns.size >= maxTotal || (this.perSource.get(source) ?? 0) >= maxPerSource) {
      this.refused++;
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    const conn = this.adopt(socket);
    conn.awaitingFirst = true;
    const firstMs = this.opts.firstMessageMs ?? DEFAULT_TCP_LIMITS.firstMessageMs;
    conn.firstTimer = setTimeout(() => {
      if (!conn.awaitingFirst) return;
      this.events.onBadInput('no complete message on a new connection', this.peerOf(conn));
      conn.socket.destroy();
    }, firstMs);
  }

  private adopt(socket: net.Socket): Conn {
    socket.setNoDelay(true);
    const source = socket.remoteAddress ?? '';
    const key = `${source}:${socket.remotePort}`;
    const conn: Conn = { id: this.nextId++, socket, key, source, input: new StreamBuffer(this.opts.maxMessage), awaitingFirst: false };
    this.conns.set(conn.id, conn);
    this.byKey.set(key, conn);
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    // node's socket timeout counts reads and writes alike: idle means nothing either way
    socket.setTimeout(this.opts.idleMs, () => socket.destroy());
    socket.on('data', (chunk) => this.onChunk(conn, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(conn.stallTimer);
      clearTimeout(conn.firstTimer);
      this.conns.delete(conn.id);
      if (this.byKey.get(key) === conn) this.byKey.delete(key);
      const n = (this.perSource.get(source) ?? 1) - 1;
      if (n <= 0) this.perSource.delete(source);
      else this.perSource.set(source, n);
    });
    return conn;
  }

  private peerOf(conn: Conn): Peer {
    return { transport: 'tcp', address: conn.socket.remoteAddress ?? '', port: conn.socket.remotePort ?? 0, connId: conn.id };
  }

  private onChunk(conn: Conn, chunk: Buffer): void {
    if (conn.socket.destroyed || conn.closing) return;
    // a message still arriving: skip the parse until it can be complete (no rescans)
    if (!conn.input.push(chunk)) {
      this.armStall(conn);
      return;
    }
    for (;;) {
      const buf = conn.input.contents();
      const r = parseStream(buf, this.opts.maxMessage, this.opts.parseLimits ?? DEFAULT_PARSE_LIMITS);
      if (r.kind === 'incomplete') {
        conn.input.waitFor(r.needed);
        break;
      }
      if (r.kind === 'skip') {
        conn.input.consume(r.consumed);
        continue;
      }
      if (r.kind === 'error' && (r.reason === 'bad Content-Length' || r.reason.includes('too large'))) {
        // RFC 4475 3.1.2.3 / 3.3.9: framing is lost, the connection must go
        this.events.onBadInput(r.reason, this.peerOf(conn));
        if (r.status === 513 && r.msg?.isRequest && this.events.onOversized) {
          // the head was read: the request hears why (513, RFC 3261 21.5.7), then the connection ends
          this.events.onOversized(r.msg, this.peerOf(conn));
          this.closeAfterWrite(conn);
          return;
        }
        conn.socket.destroy();
        return;
      }
      const msgBytes = Buffer.from(buf.subarray(0, r.consumed));
      conn.input.consume(r.consumed);
      conn.awaitingFirst = false;
      clearTimeout(conn.firstTimer);
      clearTimeout(conn.stallTimer);
      conn.stallTimer = undefined;
      this.events.onData(msgBytes, this.peerOf(conn));
      if (conn.socket.destroyed) return;
    }
    this.armStall(conn);
  }

  /** End the connection once what was written to it is sent; destroyed within a second whatever the peer does. */
  private closeAfterWrite(conn: Conn): void {
    conn.closing = true;
    conn.input.consume(conn.input.length);
    clearTimeout(conn.stallTimer);
    conn.socket.end();
    setTimeout(() => conn.socket.destroy(), 1000).unref();
  }

  /**
   * RFC 4475 3.1.2.2: on a stream, wait for the rest of a message, but not forever. The
   * timer runs from the message's first octet and is not reset by more partial data, so
   * trickling a message one octet at a time cannot hold a connection open.
   */
  private armStall(conn: Conn): void {
    if (conn.input.length === 0) {
      clearTimeout(conn.stallTimer);
      conn.stallTimer = undefined;
      return;
    }
    conn.stallTimer ??= setTimeout(() => {
      this.events.onBadInput('partial message stalled', this.peerOf(conn));
      conn.socket.destroy();
    }, this.opts.stallMs);
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
