import { newBranch } from '../sip/ids';
import type { SipMessage } from '../sip/message';
import { parseNameAddr } from '../sip/name-addr';
import { responseTo } from '../sip/response';
import { parseSipUri } from '../sip/uri';
import { ClientInviteTransaction, ClientNonInviteTransaction, type ClientTransaction } from '../transaction/client-transactions';
import { ServerNonInviteTransaction, type ServerInviteTransaction, type ServerTransaction } from '../transaction/server-transactions';
import { TransactionLayer } from '../transaction/transaction-layer';
import type { Peer } from '../transport/types';
import type { AppCommand, AppConnection } from '../wire/app-server';
import type { EngineContext } from './context';
import type { ServerTxnInfo } from './inbound-request';
import { buildCancel, buildNon2xxAck } from './request-builder';
import { wireTime } from './wire-format';

interface ProxyJob {
  server: ServerTransaction;
  conn?: AppConnection;
  msgId?: string;
  destinations: string[];
  recordRoute: boolean;
  template?: SipMessage;
  current?: ClientTransaction;
  provTimer?: NodeJS.Timeout;
  provTimeoutMs: number;
  finished: boolean;
}

function parseDuration(text: string): number {
  const m = /^(\d+)\s*(ms|s)?$/.exec(text.trim());
  if (!m) return 0;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
}

/**
 * A stateful proxy (RFC 3261 16) for `proxy|...` from the app, serial forking over the
 * destinations, and the forwarding of in-dialog requests whose top Route names this
 * engine (the dialogs it record-routed).
 */
export class ProxyCore {
  private readonly jobs = new WeakMap<ServerTransaction, ProxyJob>();

  constructor(private readonly ctx: EngineContext, private readonly info: WeakMap<ServerTransaction, ServerTxnInfo>) {}

  handle(conn: AppConnection, cmd: AppCommand, template: SipMessage | undefined): void {
    const [txnId, remainInDialog, , , , provTimeout, , ...dests] = cmd.fields;
    const server = this.ctx.txns.serverById(txnId ?? '');
    const info = server ? this.info.get(server) : undefined;
    if (!server || !info || server.done || info.proxied) {
      conn.reply(cmd.msgId, 'NOK|unknown transaction');
      return;
    }
    info.proxied = true;
    const destinations = dests.filter((d) => d !== '');
    const job: ProxyJob = {
      server, conn, msgId: cmd.msgId, destinations, recordRoute: remainInDialog === 'remainInDialog',
      template, provTimeoutMs: parseDuration(provTimeout ?? ''), finished: false,
    };
    this.jobs.set(server, job);
    // RFC 3261 16.3 step 3: Max-Forwards 0 is not forwarded
    const mf = Number(server.request.get('max-forwards') ?? '70');
    if (mf <= 0) {
      this.finish(job, responseTo(server.request, 483, server.toTag ?? 'px'), undefined);
      return;
    }
    void this.next(job);
  }

  private async next(job: ProxyJob): Promise<void> {
    const dest = job.destinations.shift();
    if (!dest) {
      this.finish(job, responseTo(job.server.request, 480, 'px'), undefined);
      return;
    }
    const req = job.server.request.clone();
    req.uri = dest;
    // RFC 3261 16.6: decrement Max-Forwards, record-route if asked, add our Via
    req.set('Max-Forwards', String(Number(req.get('max-forwards') ?? '70') - 1));
    for (const h of job.template?.headers ?? []) {
      if (!['via', 'call-id', 'cseq', 'from', 'to', 'content-length', 'max-forwards'].includes(h.key)) req.set(h.name, h.value);
    }
    let peer: Peer;
    try {
      peer = await this.ctx.resolve(dest);
    } catch {
      void this.next(job);
      return;
    }
    if (job.recordRoute) req.prepend('Record-Route', `<sip:${this.ctx.sentBy()};lr${peer.transport === 'tcp' ? ';transport=tcp' : ''}>`);
    const branch = newBranch();
    req.prepend('Via', `SIP/2.0/${peer.transport.toUpperCase()} ${this.ctx.sentBy()};rport;branch=${branch}`);
    const buf = req.toBuffer();
    const key = TransactionLayer.clientKey(branch, req.method);
    const t = req.method === 'INVITE'
      ? new ClientInviteTransaction(key, req, buf, peer, this.ctx.clientEnv)
      : new ClientNonInviteTransaction(key, req, buf, peer, this.ctx.clientEnv);
    if (t instanceof ClientInviteTransaction) {
      t.buildAck = (res) => buildNon2xxAck(req, res).toBuffer();
    }
    job.current = t;
    t.user = {
      onResponse: (res, raw, from) => this.onResponse(job, res, raw, from),
      onTimeout: () => {
        clearTimeout(job.provTimer);
        if (job.destinations.length > 0) void this.next(job);
        else this.finish(job, responseTo(job.server.request, 408, 'px'), undefined);
      },
    };
    this.ctx.txns.addClient(t);
    t.start();
    if (job.provTimeoutMs > 0 && t instanceof ClientInviteTransaction) {
      job.provTimer = setTimeout(() => {
        if (t.provisionalSeen || t.isFinal) return;
        t.terminate();
        void this.next(job);
      }, job.provTimeoutMs);
    }
  }

  private onResponse(job: ProxyJob, res: SipMessage, raw: Buffer, from: Peer): void {
    if (res.status === 100) return;
    clearTimeout(job.provTimer);
    // RFC 3261 16.7 step 3: strip our Via before relaying upstream
    const up = res.clone();
    up.shift('via');
    if (job.finished) {
      // a retransmitted 2xx (RFC 6026): relayed statelessly
      if (res.status >= 200 && res.status < 300) this.ctx.sendRaw(up.toBuffer(), job.server.peer);
      return;
    }
    if (res.status < 200) {
      job.server.sendResponse(res.status, up.toBuffer());
      return;
    }
    const more = job.destinations.length > 0 && res.status >= 300 && res.status < 600;
    if (more) {
      void this.next(job);
      return;
    }
    this.finish(job, up, { raw, from });
  }

  private finish(job: ProxyJob, res: SipMessage, via: { raw: Buffer; from: Peer } | undefined): void {
    if (job.finished) return;
    job.finished = true;
    if (!job.server.done) job.server.sendResponse(res.status, res.toBuffer());
    if (!job.conn || !job.msgId) return;
    const from = via?.from ?? job.server.peer;
    const text = res.toString();
    job.conn.reply(job.msgId, `OK|network|${via?.raw.length ?? text.length}|${from.transport}|${from.address}|${from.port}|${wireTime()}|||continue`, text);
    job.conn.reply(job.msgId, 'OK|done');
  }

  /** The caller cancelled a proxied INVITE (RFC 3261 16.10): 487 upstream, CANCEL downstream. */
  cancel(invite: ServerInviteTransaction): void {
    const job = this.jobs.get(invite);
    if (!job) return;
    job.destinations = [];
    const t = job.current;
    if (t instanceof ClientInviteTransaction && !t.isFinal) {
      const cancel = buildCancel(t.request, t.request);
      const branch = /branch=([^;,\s]+)/.exec(cancel.get('via') ?? '')?.[1] ?? '';
      const ct = new ClientNonInviteTransaction(TransactionLayer.clientKey(branch, 'CANCEL'), cancel, cancel.toBuffer(), t.peer, this.ctx.clientEnv);
      const go = (): void => {
        this.ctx.txns.addClient(ct);
        ct.start();
      };
      if (t.provisionalSeen) go();
      else t.onProvisional = go;
    }
  }

  /**
   * An in-dialog request for a dialog this engine record-routed but does not own:
   * if the top Route is ours, strip it and forward (RFC 3261 16.4, 16.12).
   */
  forwardInDialog(msg: SipMessage, bytes: number, source: Peer, key: string, replyTo: Peer): boolean {
    // re-INVITEs through a record-routing proxy would need an INVITE server transaction here
    if (msg.method === 'INVITE') return false;
    const target = this.routeTarget(msg);
    if (!target) return false;
    const server = new ServerNonInviteTransaction(key, msg, bytes, replyTo, this.ctx.serverEnv);
    this.ctx.txns.addServer(server);
    this.info.set(server, { owner: 0, dialogId: '', source, proxied: true });
    const job: ProxyJob = { server, destinations: [target], recordRoute: false, provTimeoutMs: 0, finished: false };
    this.jobs.set(server, job);
    void this.next(job);
    return true;
  }

  /** An ACK for a 2xx of a dialog we record-routed: forwarded statelessly (RFC 3261 16.11). */
  forwardAck(msg: SipMessage): void {
    const target = this.routeTarget(msg);
    if (!target) return;
    const fwd = msg.clone();
    fwd.uri = target;
    fwd.set('Max-Forwards', String(Math.max(0, Number(fwd.get('max-forwards') ?? '70') - 1)));
    this.ctx.resolve(target).then((peer) => {
      fwd.prepend('Via', `SIP/2.0/${peer.transport.toUpperCase()} ${this.ctx.sentBy()};branch=${newBranch()}`);
      this.ctx.sendRaw(fwd.toBuffer(), peer);
    }).catch(() => undefined);
  }

  /** Pops our own Route and returns where the request goes next, or undefined if it is not ours to route. */
  private routeTarget(msg: SipMessage): string | undefined {
    const top = msg.get('route');
    const uri = top ? parseSipUri(parseNameAddr(top)?.uri ?? '') : null;
    if (!uri || !this.isUs(uri.host, uri.port)) return undefined;
    msg.shift('route');
    const next = msg.get('route');
    const nextUri = next ? parseNameAddr(next)?.uri : undefined;
    return nextUri ?? msg.uri;
  }

  private isUs(host: string, port: number | undefined): boolean {
    const addr = this.ctx.opts.advertisedAddress;
    return (host === addr || host === this.ctx.opts.sipAddress) && (port ?? 5060) === this.ctx.opts.sipPort;
  }
}
