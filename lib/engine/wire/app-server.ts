import { newId } from '../sip/ids';
import net from 'node:net';
import { encodeFrame, FrameDecoder } from './framing';

const CRLF = '\r\n';

/** One parsed frame from an application: `<msgId>|<verb>|f1|f2...` then CRLF and SIP text. */
export interface AppCommand {
  msgId: string;
  verb: string;
  fields: string[];
  body: string;
}

export interface AppHandler {
  onCommand(conn: AppConnection, cmd: AppCommand): void;
  onClose(conn: AppConnection): void;
}

/** One drachtio-srf application connected to the engine. */
export class AppConnection {
  authenticated = false;
  readonly routes = new Set<string>();
  tags: string[] = [];

  private queue: string[] = [];

  constructor(readonly id: number, private readonly socket: net.Socket) {}

  get open(): boolean {
    return !this.socket.destroyed;
  }

  /** Send an engine-originated message (`sip|network...`, `cdr:...`). */
  send(leader: string, sip?: string): void {
    this.write(`${newId()}|${leader}`, sip);
  }

  /** Answer an app request: `response|<their msgId>|...`. */
  reply(msgId: string, leader: string, sip?: string): void {
    this.write(`${newId()}|response|${msgId}|${leader}`, sip);
  }

  /** Frames written in one turn of the event loop leave in one write: far fewer syscalls under load. */
  private write(head: string, sip?: string): void {
    if (this.socket.destroyed) return;
    this.queue.push(encodeFrame(sip === undefined ? head : head + CRLF + sip));
    if (this.queue.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const frames = this.queue;
    this.queue = [];
    if (!this.socket.destroyed && frames.length > 0) this.socket.write(frames.join(''));
  }

  close(): void {
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 200).unref();
  }
}

export interface AppServerOptions {
  address: string;
  port: number;
  secret: string;
  version: string;
  /** `tcp/127.0.0.1:5070,udp/127.0.0.1:5070` as drachtio announces it */
  hostports: () => string;
  maxFrame: number;
}

/**
 * The admin side of the drachtio protocol: authenticate, route / remove_route and ping
 * are answered here; `sip`, `proxy` and everything else goes to the handler.
 */
export class AppServer {
  private readonly conns = new Map<number, AppConnection>();
  private nextId = 1;
  private rr = 0;

  private constructor(private readonly server: net.Server, private readonly opts: AppServerOptions,
    private readonly handler: AppHandler) {}

  static async listen(opts: AppServerOptions, handler: AppHandler): Promise<AppServer> {
    const server = net.createServer();
    const s = new AppServer(server, opts, handler);
    server.on('connection', (socket) => s.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return s;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get connections(): AppConnection[] {
    return [...this.conns.values()];
  }

  connection(id: number): AppConnection | undefined {
    return this.conns.get(id);
  }

  /** Round-robin over the authenticated connections that routed this verb. */
  pick(verb: string): AppConnection | undefined {
    const candidates = this.connections.filter((c) => c.authenticated && c.routes.has(verb));
    if (candidates.length === 0) return undefined;
    this.rr = (this.rr + 1) % candidates.length;
    return candidates[this.rr];
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const conn = new AppConnection(this.nextId++, socket);
    this.conns.set(conn.id, conn);
    const decoder = new FrameDecoder(this.opts.maxFrame);
    socket.on('data', (chunk) => {
      let frames: string[];
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) this.dispatch(conn, f);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.conns.delete(conn.id);
      this.handler.onClose(conn);
    });
  }

  private dispatch(conn: AppConnection, frame: string): void {
    const cr = frame.indexOf(CRLF);
    const leader = cr === -1 ? frame : frame.slice(0, cr);
    const body = cr === -1 ? '' : frame.slice(cr + 2);
    const tokens = leader.split('|');
    const cmd: AppCommand = { msgId: tokens[0], verb: tokens[1] ?? '', fields: tokens.slice(2), body };
    switch (cmd.verb) {
      case 'authenticate':
        if (cmd.fields[0] === this.opts.secret) {
          conn.authenticated = true;
          conn.tags = (cmd.fields[1] ?? '').split(',').filter(Boolean);
          const hp = this.opts.hostports();
          conn.reply(cmd.msgId, `OK|${hp}|${this.opts.version}|${hp}`);
        } else {
          conn.reply(cmd.msgId, 'NO|incorrect secret');
          conn.close();
        }
        return;
      case 'route':
        // drachtio answers OK even before authenticate; only authenticated routes count
        if (conn.authenticated && cmd.fields[0]) conn.routes.add(cmd.fields[0].toLowerCase());
        conn.reply(cmd.msgId, 'OK');
        return;
      case 'remove_route':
        conn.routes.delete((cmd.fields[0] ?? '').toLowerCase());
        conn.reply(cmd.msgId, 'OK');
        return;
      case 'ping':
        conn.reply(cmd.msgId, 'OK|pong');
        return;
      default:
        if (!conn.authenticated) {
          conn.reply(cmd.msgId, 'NOK|not authenticated');
          return;
        }
        this.handler.onCommand(conn, cmd);
    }
  }

  async close(): Promise<void> {
    for (const c of this.conns.values()) c.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
