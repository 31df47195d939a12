import dns from 'node:dns/promises';
import net from 'node:net';
import winston from 'winston';
import { DialogTable } from '../dialog/dialog-table';
import type { SipMessage } from '../sip/message';
import { parseDatagram } from '../sip/parser';
import { bareHost, parseSipUri } from '../sip/uri';
import { DEFAULT_SUPPORTED, validateResponse } from '../sip/validate';
import { topViaBranch } from '../sip/via';
import { DEFAULT_TIMERS, type TimerConfig } from '../transaction/timers';
import { TransactionLayer } from '../transaction/transaction-layer';
import { TcpTransport } from '../transport/tcp';
import type { Peer, TransportEvents } from '../transport/types';
import { UdpTransport } from '../transport/udp';
import { AppServer, type AppCommand, type AppConnection } from '../wire/app-server';
import { AppRequests } from './app-request';
import { AppResponses } from './app-response';
import type { EngineContext, ResolvedOptions } from './context';
import { InboundRequests, type ServerTxnInfo } from './inbound-request';
import { DEFAULT_LIMITS, type EngineLimits } from './limits';
import { RateLimiter } from './rate-limiter';
import { DEFAULT_PARSE_LIMITS } from '../sip/limits';
import { DEFAULT_TCP_LIMITS } from '../transport/tcp';
import { ProxyCore } from './proxy';
import { DeniedDestinationError, DestinationPolicy, type DeniedDestination } from './destination-policy';
import { RouteToken } from './route-token';
import { Counters, type EngineStats } from './stats';
import { wireTime } from './wire-format';
import type { ServerTransaction } from '../transaction/server-transactions';

/** A source's UDP datagrams per second, before parsing, as a multiple of its request rate. */
const PRE_PARSE_FACTOR = 5;

export interface EngineOptions {
  sipAddress?: string;
  sipPort?: number;
  adminAddress?: string;
  adminPort?: number;
  secret: string;
  advertisedAddress?: string;
  timers?: Partial<TimerConfig>;
  maxMessage?: number;
  tcpStallMs?: number;
  tcpIdleMs?: number;
  supported?: string[];
  logger?: winston.Logger;
  /** bounds against hostile peers: rate limit, transaction cap, app deadlines, TCP connections */
  limits?: Partial<EngineLimits>;
  /**
   * Where no request may go (Redis, rtpengine's ng port, the application's HTTP port):
   * names are resolved at start; an entry on one of this host's addresses covers them all.
   * The engine's own admin port is always denied.
   */
  denyDestinations?: DeniedDestination[];
}

/** RFC 3261 7: a response starts with the SIP-Version, a request with its method. */
function isResponse(buf: Buffer): boolean {
  return buf.subarray(0, 8).toString('latin1') === 'SIP/2.0 ';
}

/** The protocol version srf sees; srf pings servers at v0.8.2 or later. */
export const WIRE_VERSION = 'v0.9.10-sip-engine';

/**
 * The embedded SIP engine: UDP and TCP transports, the RFC 3261 transaction and dialog
 * layers, and the server side of the drachtio wire protocol. It depends on nothing of
 * the feature server; any drachtio-srf application can use it.
 */
export class Engine {
  private constructor(
    private readonly ctx: EngineContext,
    private readonly udp: UdpTransport,
    private readonly tcp: TcpTransport,
    private readonly apps: AppServer,
    private readonly policy: DestinationPolicy,
  ) {}

  static async start(options: EngineOptions): Promise<Engine> {
    const log = options.logger ?? winston.createLogger({ level: 'warn', transports: [new winston.transports.Console()] });
    const opts: ResolvedOptions = {
      sipAddress: options.sipAddress ?? '127.0.0.1',
      sipPort: options.sipPort ?? 5060,
      advertisedAddress: options.advertisedAddress ?? options.sipAddress ?? '127.0.0.1',
      timers: { ...DEFAULT_TIMERS, ...options.timers },
      maxMessage: options.maxMessage ?? 65535,
      supported: options.supported ?? DEFAULT_SUPPORTED,
    };
    const counters = new Counters();
    const policy = await DestinationPolicy.create(
      [opts.sipAddress, opts.advertisedAddress, options.adminAddress ?? '127.0.0.1'], options.denyDestinations ?? []);
    const limits: EngineLimits = { ...DEFAULT_LIMITS, ...options.limits };
    const parseLimits = { ...DEFAULT_PARSE_LIMITS, maxMessage: opts.maxMessage };
    let dispatch: (buf: Buffer, peer: Peer) => void = () => undefined;
    let rejectOversized: (head: SipMessage, peer: Peer) => void = () => undefined;
    const events: TransportEvents = {
      onData: (buf, peer) => dispatch(buf, peer),
      onBadInput: (reason, peer) => {
        counters.badInput++;
        log.info('bad input', { reason, peer: `${peer.transport}:${peer.address}:${peer.port}` });
      },
      onOversized: (head, peer) => rejectOversized(head, peer),
    };
    const udp = await UdpTransport.listen(opts.sipAddress, opts.sipPort, opts.maxMessage, events);
    opts.sipPort = udp.local.port;
    const tcp = await TcpTransport.listen(opts.sipAddress, opts.sipPort, {
      maxMessage: opts.maxMessage, stallMs: options.tcpStallMs ?? 10000, idleMs: options.tcpIdleMs ?? DEFAULT_TCP_LIMITS.idleMs,
      maxPerSource: limits.tcpMaxPerSource, maxTotal: limits.tcpMaxTotal, firstMessageMs: limits.tcpFirstMessageMs, parseLimits,
    }, events);
    const sentBy = (): string => `${net.isIPv6(opts.advertisedAddress) ? `[${opts.advertisedAddress}]` : opts.advertisedAddress}:${opts.sipPort}`;
    const sendRaw = (buf: Buffer, peer: Peer): void => {
      // the last guard: whatever path built it (a dialog's fixed peer, a retransmission),
      // no request leaves for a denied destination; responses go back where requests came from
      if (!isResponse(buf) && policy.denies(peer.address, peer.port, peer.transport)) {
        counters.sendErrors++;
        log.warn('request to a denied destination dropped', { peer: `${peer.transport}:${peer.address}:${peer.port}` });
        return;
      }
      counters.messagesOut++;
      (peer.transport === 'tcp' ? tcp : udp).send(buf, peer).catch((err: Error) => {
        counters.sendErrors++;
        log.info('send failed', { peer: `${peer.transport}:${peer.address}:${peer.port}`, error: err.message });
      });
    };
    const txns = new TransactionLayer();
    const dialogs = new DialogTable();
    const handler = { onCommand: (c: AppConnection, cmd: AppCommand) => onCommand(c, cmd), onClose: (c: AppConnection) => onClose(c) };
    const apps = await AppServer.listen({
      address: options.adminAddress ?? '127.0.0.1',
      port: options.adminPort ?? 9022,
      secret: options.secret,
      version: WIRE_VERSION,
      hostports: () => `tcp/${sentBy()},udp/${sentBy()}`,
      maxFrame: 4 * opts.maxMessage,
    }, handler);
    policy.addOwnPort(apps.port);
    const ctx: EngineContext = {
      opts, log, counters, txns, dialogs, apps,
      routeToken: new RouteToken(options.secret),
      serverEnv: { timers: opts.timers, send: sendRaw, terminated: (t) => txns.removeServer(t) },
      clientEnv: { timers: opts.timers, send: sendRaw, terminated: (t) => txns.removeClient(t) },
      sendRaw,
      sendStateless: (res, peer) => sendRaw(res.toBuffer(), peer),
      resolve: (uri) => resolveUri(uri),
      contact: (transport) => `<sip:${sentBy()}${transport === 'tcp' ? ';transport=tcp' : ''}>`,
      sentBy,
      app: (id) => apps.connection(id),
      cdr: (event, source, msg, detail) => {
        const verb = `cdr:${event}`;
        for (const c of apps.connections) {
          if (c.authenticated && c.routes.has(verb)) c.send(`${verb}|${source}|${wireTime()}${detail ? `|${detail}` : ''}`, msg.toString());
        }
      },
    };
    const info = new WeakMap<ServerTransaction, ServerTxnInfo>();
    const proxy = new ProxyCore(ctx, info);
    const inbound = new InboundRequests(ctx, proxy, info, limits);
    rejectOversized = (head, peer) => inbound.rejectUnparseable(head, peer, 'message too large', 513);
    const appResponses = new AppResponses(ctx, inbound);
    const appRequests = new AppRequests(ctx);

    // RFC 3261 sets no rate, but a UDP flood must cost as little as possible before the
    // per-request limit (inbound-request.ts) can judge it: every source gets a datagram
    // budget of PRE_PARSE_FACTOR times its request rate, checked before parsing, so a
    // source sending tens of thousands of datagrams a second costs a map lookup each, not
    // a parse (the requests of live dialogs and retransmissions fit the factor's room)
    const preParse = new RateLimiter({ rate: limits.rateLimit * PRE_PARSE_FACTOR, burst: limits.rateBurst * PRE_PARSE_FACTOR,
      trusted: limits.trustedSources, maxSources: limits.maxRateSources });
    dispatch = (buf, peer) => {
      counters.messagesIn++;
      if (peer.transport === 'udp' && !preParse.allow(peer.address)) {
        counters.rateLimited++;
        return;
      }
      try {
        const r = parseDatagram(buf, parseLimits);
        if (r.kind !== 'message') {
          counters.parseErrors++;
          log.info('unparseable message', { reason: r.kind === 'error' ? r.reason : r.kind, peer: `${peer.address}:${peer.port}` });
          if (r.kind === 'error' && r.msg?.isRequest) inbound.rejectUnparseable(r.msg, peer, r.reason, r.status);
          return;
        }
        if (r.msg.isRequest) inbound.handle(r.msg, buf.length, peer);
        else onResponse(r.msg, buf, peer);
      } catch (err) {
        counters.parseErrors++;
        log.error('error handling message', { error: (err as Error).stack });
      }
    };

    const onResponse = (msg: SipMessage, raw: Buffer, peer: Peer): void => {
      const bad = validateResponse(msg);
      const branch = topViaBranch(msg.get('via'));
      const t = bad ? undefined : txns.client(TransactionLayer.clientKey(branch, msg.cseq.method));
      if (!t) {
        counters.droppedResponses++;
        return;
      }
      t.receive(msg, raw, peer);
    };

    const onCommand = (conn: AppConnection, cmd: AppCommand): void => {
      counters.appFrames++;
      try {
        if (cmd.verb !== 'sip' && cmd.verb !== 'proxy') {
          conn.reply(cmd.msgId, `NOK|unknown verb ${cmd.verb}`);
          return;
        }
        const parsed = cmd.body ? parseDatagram(Buffer.from(cmd.body, 'utf8')) : undefined;
        const msg = parsed?.kind === 'message' ? parsed.msg : undefined;
        if (cmd.verb === 'proxy') {
          proxy.handle(conn, cmd, msg);
          return;
        }
        if (!msg) {
          conn.reply(cmd.msgId, `NOK|invalid request-uri: ${cmd.body.split('\r\n')[0] ?? ''}`);
          return;
        }
        if (msg.isResponse) appResponses.handle(conn, cmd, cmd.fields[0] ?? '', msg);
        else {
          appRequests.handle(conn, cmd, msg).catch((err: Error) => {
            log.error('error sending request', { error: err.stack });
            conn.reply(cmd.msgId, `NOK|${err.message}`);
          });
        }
      } catch (err) {
        log.error('error handling app command', { verb: cmd.verb, error: (err as Error).stack });
        conn.reply(cmd.msgId, `NOK|${(err as Error).message}`);
      }
    };

    const onClose = (conn: AppConnection): void => {
      // nobody can drive these dialogs any more: forget them rather than leak them
      for (const d of dialogs.ownedBy(conn.id)) dialogs.remove(d);
    };

    const resolveUri = async (uri: string): Promise<Peer> => {
      const u = parseSipUri(uri);
      if (!u) throw new Error(`not a SIP URI: ${uri}`);
      const host = bareHost(u.params.get('maddr') ?? u.host);
      const transport = (u.params.get('transport') ?? (u.scheme === 'sips' ? 'tcp' : 'udp')).toLowerCase() === 'udp' ? 'udp' : 'tcp';
      const port = u.port ?? (u.scheme === 'sips' ? 5061 : 5060);
      const address = net.isIP(host) ? host : (await dns.lookup(host)).address;
      // checked after resolution, so no spelling of a denied host gets through
      if (policy.denies(address, port, transport)) throw new DeniedDestinationError(address, port);
      return { transport, address, port };
    };

    log.info('engine started', { sip: `${opts.sipAddress}:${opts.sipPort}`, admin: apps.port });
    return new Engine(ctx, udp, tcp, apps, policy);
  }

  /** Deny a port of this host found after start (the `sip-engine` HTTP port). */
  denyOwnPort(port: number): void {
    this.policy.addOwnPort(port);
  }

  get sipPort(): number {
    return this.ctx.opts.sipPort;
  }

  get adminPort(): number {
    return this.apps.port;
  }

  stats(): EngineStats {
    const c = this.ctx.counters;
    return {
      ...c,
      transactions: this.ctx.txns.serverCount + this.ctx.txns.clientCount,
      activeTransactions: this.ctx.txns.activeCount,
      serverTransactions: this.ctx.txns.serverCount,
      serverTransactionBytes: this.ctx.txns.serverBytes,
      clientTransactions: this.ctx.txns.clientCount,
      dialogs: this.ctx.dialogs.size,
      appConnections: this.apps.connections.length,
      tcpConnections: this.tcp.connectionCount,
      tcpRefused: this.tcp.refused,
    };
  }

  async stop(): Promise<void> {
    for (const t of this.ctx.txns.all()) t.terminate();
    for (const d of this.ctx.dialogs.all()) this.ctx.dialogs.remove(d);
    await Promise.all([this.apps.close(), this.udp.close(), this.tcp.close()]);
  }
}
