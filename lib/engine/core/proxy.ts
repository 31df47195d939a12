import { newBranch } from '../sip/ids';
import type { SipMessage } from '../sip/message';
import { parseNameAddr } from '../sip/name-addr';
import { responseTo } from '../sip/response';
import { parseSipUri } from '../sip/uri';
import { topViaBranch } from '../sip/via';
import { ClientInviteTransaction, ClientNonInviteTransaction, type ClientTransaction } from '../transaction/client-transactions';
import { ServerNonInviteTransaction, type ServerInviteTransaction, type ServerTransaction } from '../transaction/server-transactions';
import { TransactionLayer } from '../transaction/transaction-layer';
import type { Peer } from '../transport/types';
import type { AppCommand, AppConnection } from '../wire/app-server';
import type { EngineContext } from './context';
import type { ServerTxnInfo } from './inbound-request';
import { buildCancel, buildNon2xxAck } from './request-builder';
import { DeniedDestinationError } from './destination-policy';
import { ROUTE_TOKEN_PARAM } from './route-token';
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
  /** a destination was skipped because the policy denies it */
  denied?: boolean;
}

/** RFC 3261 20.22: Max-Forwards, or undefined when absent (validation has rejected non-digits). */
function maxForwards(msg: SipMessage): number | undefined {
  const v = msg.get('max-forwards');
  return v === undefined ? undefined : Number(v.trim());
}

/**
 * RFC 3261 16.6 step 3: decrement Max-Forwards, or add it with 70 when absent.
 * Only called once 16.3 step 3 has checked it is above zero.
 */
function decrementMaxForwards(msg: SipMessage): void {
  const mf = maxForwards(msg);
  msg.set('Max-Forwards', String(mf === undefined ? 70 : mf - 1));
}

/** What to do with an in-dialog request whose dialog is not ours to answer. */
type RouteCheck =
  | { kind: 'not-ours' }
  | { kind: 'forged' }
  | { kind: 'forward'; target: string };

function parseDuration(text: string): number {
  const m = /^(\d+)\s*(ms|s)?$/.exec(text.trim());
  if (!m) return 0;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
}

/**
 * A stateful proxy (RFC 3261 16) for `proxy|...` from the app, serial forking over the
 * destinations, and the forwarding of in-dialog requests of the dialogs it record-routed.
 *
 * It is not an open relay: the only requests it forwards on its own are those whose top
 * Route is the Record-Route it wrote, token included (see RouteToken); everything else
 * an app did not ask it to proxy is answered 481 / 403 or, for an ACK, dropped.
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
    if (maxForwards(server.request) === 0) {
      this.finish(job, responseTo(server.request, 483, server.toTag ?? 'px'), undefined);
      return;
    }
    void this.next(job);
  }

  private async next(job: ProxyJob): Promise<void> {
    const dest = job.destinations.shift();
    if (!dest) {
      // RFC 3261 21.4.4: every destination left was one we refuse to reach
      this.finish(job, responseTo(job.server.request, job.denied ? 403 : 480, 'px'), undefined);
      return;
    }
    const req = job.server.request.clone();
    req.uri = dest;
    // RFC 3261 16.6: decrement Max-Forwards, record-route if asked, add our Via
    decrementMaxForwards(req);
    for (const h of job.template?.headers ?? []) {
      if (!['via', 'call-id', 'cseq', 'from', 'to', 'content-length', 'max-forwards'].includes(h.key)) req.set(h.name, h.value);
    }
    let peer: Peer;
    try {
      peer = await this.ctx.resolve(dest);
    } catch (err) {
      if (err instanceof DeniedDestinationError) {
        job.denied = true;
        this.ctx.log.warn('proxy destination denied', { callId: req.callId, destination: dest });
      }
      void this.next(job);
      return;
    }
    if (job.recordRoute) {
      // RFC 3261 16.6 step 4: our own URI, with the token that later proves the dialog is ours
      const token = this.ctx.routeToken.issue(req.callId);
      req.prepend('Record-Route', `<sip:${this.ctx.sentBy()};lr;${ROUTE_TOKEN_PARAM}=${token}${peer.transport === 'tcp' ? ';transport=tcp' : ''}>`);
    }
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
      const branch = topViaBranch(cancel.get('via'));
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
   * An in-dialog request for no dialog the apps own (RFC 3261 16.4, 16.12): forwarded
   * when its top Route is the Record-Route this engine wrote for this Call-ID, answered
   * 403 when it names us with a token we did not issue. Returns false when the request is
   * not ours to route at all (the caller answers 481, RFC 3261 12.2.2).
   */
  forwardInDialog(msg: SipMessage, bytes: number, source: Peer, key: string, replyTo: Peer): boolean {
    // re-INVITEs through a record-routing proxy would need an INVITE server transaction here
    if (msg.method === 'INVITE') return false;
    const check = this.routeTarget(msg);
    if (check.kind === 'not-ours') return false;
    const server = new ServerNonInviteTransaction(key, msg, bytes, replyTo, this.ctx.serverEnv);
    this.ctx.txns.addServer(server);
    this.info.set(server, { owner: 0, dialogId: '', source, proxied: true });
    if (check.kind === 'forged') {
      // RFC 3261 21.4.4: we understood the request and refuse it; 481 would suggest the
      // dialog ended, while this Route was never ours to honour
      this.ctx.counters.rejectedRequests++;
      this.ctx.log.warn('in-dialog request with a Route we did not issue refused', {
        method: msg.method, callId: msg.callId, from: `${source.transport}:${source.address}:${source.port}`,
      });
      server.sendResponse(403, responseTo(msg, 403, 'px').toBuffer());
      return true;
    }
    const job: ProxyJob = { server, destinations: [check.target], recordRoute: false, provTimeoutMs: 0, finished: false };
    this.jobs.set(server, job);
    // RFC 3261 16.3 step 3: Max-Forwards 0 is answered 483 and never forwarded
    if (maxForwards(msg) === 0) {
      this.finish(job, responseTo(msg, 483, 'px'), undefined);
      return true;
    }
    void this.next(job);
    return true;
  }

  /**
   * An ACK for a 2xx of a dialog we record-routed: forwarded statelessly (RFC 3261 16.11).
   * Any other ACK has no response to carry, so it is dropped (RFC 3261 17.2.3: a stray ACK).
   */
  forwardAck(msg: SipMessage): void {
    const check = this.routeTarget(msg);
    if (check.kind !== 'forward') return;
    // RFC 3261 16.3 step 3: an ACK cannot be answered 483; it is not forwarded either
    if (maxForwards(msg) === 0) return;
    const fwd = msg.clone();
    fwd.uri = check.target;
    decrementMaxForwards(fwd);
    this.ctx.resolve(check.target).then((peer) => {
      fwd.prepend('Via', `SIP/2.0/${peer.transport.toUpperCase()} ${this.ctx.sentBy()};branch=${newBranch()}`);
      this.ctx.sendRaw(fwd.toBuffer(), peer);
    }).catch((err: Error) => this.ctx.log.info('ACK not forwarded', { callId: msg.callId, error: err.message }));
  }

  /**
   * RFC 3261 16.4: a top Route naming us is ours to pop, and the request goes to the next
   * Route or the Request-URI; but only with the token our Record-Route carried.
   */
  private routeTarget(msg: SipMessage): RouteCheck {
    const top = msg.get('route');
    const uri = top ? parseSipUri(parseNameAddr(top)?.uri ?? '') : null;
    if (!uri || !this.isUs(uri.host, uri.port)) return { kind: 'not-ours' };
    const token = uri.params.get(ROUTE_TOKEN_PARAM) ?? undefined;
    if (!this.ctx.routeToken.verify(msg.callId, token)) return { kind: 'forged' };
    msg.shift('route');
    const next = msg.get('route');
    const nextUri = next ? parseNameAddr(next)?.uri : undefined;
    return { kind: 'forward', target: nextUri ?? msg.uri };
  }

  private isUs(host: string, port: number | undefined): boolean {
    const addr = this.ctx.opts.advertisedAddress;
    return (host === addr || host === this.ctx.opts.sipAddress) && (port ?? 5060) === this.ctx.opts.sipPort;
  }
}
