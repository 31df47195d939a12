import { parseNameAddr, tagOf } from '../sip/name-addr';
import type { SipMessage } from '../sip/message';
import { responseTo } from '../sip/response';
import { validateRequest } from '../sip/validate';
import type { Via } from '../sip/via';
import { ServerInviteTransaction, ServerNonInviteTransaction, type ServerTransaction } from '../transaction/server-transactions';
import { TransactionLayer } from '../transaction/transaction-layer';
import type { Peer } from '../transport/types';
import type { EngineContext } from './context';
import { newTag } from '../sip/ids';
import { responseDestination, stampReceived } from './via-handling';
import { networkLeader } from './wire-format';
import type { ProxyCore } from './proxy';
import { endsSubscription } from './app-request';
import { DEFAULT_LIMITS, type EngineLimits } from './limits';
import { RateLimiter } from './rate-limiter';

/** Methods RFC 3261 and its extensions define; anything else is 501 when unrouted. */
const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE',
  'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE']);

/** Per-transaction facts the core keeps beside the transaction machine. */
export interface ServerTxnInfo {
  owner: number;
  dialogId: string;
  /** source as seen by the transport, for the app's meta fields */
  source: Peer;
  /** set when the engine proxies this request instead of the app answering it */
  proxied?: boolean;
}

/**
 * Requests from the network (RFC 3261 8.2 UAS behaviour, 17.2.3 matching, 12.2.2
 * in-dialog requests, 9.2 CANCEL). Everything the app must see is forwarded as a
 * `sip|network` frame to the connection that routed the method or owns the dialog.
 */
export class InboundRequests {
  private readonly limiter: RateLimiter;

  constructor(private readonly ctx: EngineContext, private readonly proxy: ProxyCore,
    readonly info: WeakMap<ServerTransaction, ServerTxnInfo>, private readonly limits: EngineLimits = DEFAULT_LIMITS) {
    this.limiter = new RateLimiter({ rate: limits.rateLimit, burst: limits.rateBurst, trusted: limits.trustedSources, maxSources: limits.maxRateSources });
  }

  /**
   * A request whose syntax failed: 400 (or the status a size bound names: 413, 414,
   * 513) if it can be answered at all (RFC 4475 3.1.2), within the source's rate.
   */
  rejectUnparseable(msg: SipMessage, source: Peer, reason: string, status = 400): void {
    if (msg.method === 'ACK') return;
    const via = stampReceived(msg, source);
    if (!via || !msg.has('call-id') || !msg.has('cseq') || !msg.has('from') || !msg.has('to')) return;
    if (!this.withinRate(source)) return;
    this.ctx.counters.rejectedRequests++;
    const version = /^version/.test(reason);
    const res = version ? responseTo(msg, 505, newTag(), 'Version Not Supported')
      : responseTo(msg, status, newTag(), status === 400 ? `Bad Request - ${reason}` : undefined);
    this.ctx.sendStateless(res, responseDestination(via, source));
  }

  /** Counts the source's request against its rate; over it, the request is dropped unanswered. */
  private withinRate(source: Peer): boolean {
    if (this.limiter.allow(source.address)) return true;
    // RFC 3261 gives no response for this; on UDP any answer would amplify a spoofed flood
    this.ctx.counters.rateLimited++;
    return false;
  }

  /**
   * Admission of a request that would start a server transaction (issue #13). Requests
   * within a live transaction or dialog (a CANCEL for a pending INVITE, an in-dialog
   * request the engine routes) are not rate limited: they are the traffic the limit
   * protects. The transaction table is capped for everyone, in count and in octets held: over it the
   * request gets 503 statelessly (RFC 3261 21.5.4), which holds nothing.
   */
  private admit(msg: SipMessage, bytes: number, source: Peer, via: Via, replyTo: Peer, toTag: string | undefined): boolean {
    const live = msg.method === 'CANCEL'
      ? this.ctx.txns.server(TransactionLayer.serverKey(msg, via, 'INVITE')) !== undefined
      : toTag !== undefined && this.ctx.dialogs.find(msg.callId, toTag, tagOf(msg.get('from')) ?? '') !== undefined;
    if (!live && !this.withinRate(source)) return false;
    if (this.ctx.txns.serverCount >= this.limits.maxServerTransactions || this.ctx.txns.serverBytes + bytes > this.limits.maxServerTransactionBytes) {
      this.ctx.counters.overloaded++;
      const res = responseTo(msg, 503, newTag(), 'Service Unavailable');
      res.append('Retry-After', '5');
      this.ctx.sendStateless(res, replyTo);
      return false;
    }
    return true;
  }

  /**
   * The safety net for requests handed to an app (issue #13): an app that never answers
   * (it crashed mid-request, or its parser refused the message) must not leave the
   * transaction alive forever. A non-INVITE gets 500 (RFC 3261 21.5.1; not 408, which
   * RFC 4320 4.1 says is useless for non-INVITE: the client has given up by then); an
   * INVITE gets 408 (RFC 3261 21.4.9), as a proxy's Timer C ends one (16.6, 16.8).
   */
  private armAppDeadline(t: ServerTransaction): void {
    const invite = t instanceof ServerInviteTransaction;
    t.armDeadline(invite ? this.limits.inviteAppTimeoutMs : this.limits.appTimeoutMs, () => {
      if (this.info.get(t)?.proxied) return; // the proxy core owns it now
      const status = invite ? 408 : 500;
      const req = t.request;
      this.ctx.counters.appTimeouts++;
      this.ctx.log.warn('no final response from the app: answered by the engine', { status, method: req.method, callId: req.callId });
      const creates = invite && !tagOf(req.get('to'));
      t.toTag ??= tagOf(req.get('to')) ?? newTag();
      if (creates) {
        const early = this.ctx.dialogs.find(req.callId, t.toTag, tagOf(req.get('from')) ?? '');
        if (early) this.ctx.dialogs.remove(early);
      }
      const res = responseTo(req, status, t.toTag, invite ? 'Request Timeout' : 'Server Internal Error');
      t.sendResponse(status, res.toBuffer());
      if (creates) this.ctx.cdr('stop', 'network', res, 'call-rejected');
    });
  }

  handle(msg: SipMessage, bytes: number, source: Peer): void {
    if (!msg.has('via')) {
      this.ctx.counters.parseErrors++;
      return; // nowhere to send a response (RFC 3261 18.2.2)
    }
    const via = stampReceived(msg, source);
    // a malformed top Via (RFC 4475 badinv01) still gets its 400, sent back to the source
    const replyTo = via ? responseDestination(via, source) : source;
    const rejection = validateRequest(msg, this.ctx.opts.supported);
    if (rejection) {
      this.ctx.counters.rejectedRequests++;
      this.ctx.log.info('request rejected', { status: rejection.status, reason: rejection.reason, callId: msg.callId, from: `${source.address}:${source.port}` });
      if (msg.method === 'ACK' || !this.withinRate(source)) return;
      const res = responseTo(msg, rejection.status, newTag(), rejection.status === 400 ? `Bad Request - ${rejection.reason}` : undefined);
      for (const [k, v] of Object.entries(rejection.headers ?? {})) res.append(k, v);
      this.ctx.sendStateless(res, replyTo);
      return;
    }
    if (!via) return;
    const key = TransactionLayer.serverKey(msg, via);
    const existing = this.ctx.txns.server(key);
    if (msg.method === 'ACK') {
      if (existing instanceof ServerInviteTransaction && existing.state !== 'accepted') {
        existing.receiveAck();
        return;
      }
      this.ack2xx(msg, bytes, source);
      return;
    }
    if (existing) {
      this.ctx.counters.retransmissionsIn++;
      existing.receiveRetransmission();
      return;
    }
    const toTag = tagOf(msg.get('to'));
    if (!this.admit(msg, bytes, source, via, replyTo, toTag)) return;
    if (msg.method === 'CANCEL') {
      this.cancel(msg, bytes, source, via, key, replyTo);
      return;
    }
    if (toTag) this.inDialog(msg, bytes, source, key, replyTo, toTag);
    else this.outOfDialog(msg, bytes, source, key, replyTo);
  }

  private newServerTxn(msg: SipMessage, key: string, bytes: number, replyTo: Peer, info: ServerTxnInfo): ServerTransaction {
    const t = msg.method === 'INVITE'
      ? new ServerInviteTransaction(key, msg, bytes, replyTo, this.ctx.serverEnv)
      : new ServerNonInviteTransaction(key, msg, bytes, replyTo, this.ctx.serverEnv);
    this.ctx.txns.addServer(t);
    this.info.set(t, info);
    if (t instanceof ServerInviteTransaction) {
      // drachtio sends 100 Trying at once for every INVITE (RFC 3261 17.2.1 allows it)
      t.sendResponse(100, responseTo(msg, 100).toBuffer());
    }
    return t;
  }

  /** Answer with a final response through a fresh transaction, so retransmissions are absorbed. */
  private reject(msg: SipMessage, key: string, bytes: number, replyTo: Peer, source: Peer, status: number, extra: Record<string, string> = {}): void {
    const t = this.newServerTxn(msg, key, bytes, replyTo, { owner: 0, dialogId: '', source });
    t.toTag = newTag();
    const res = responseTo(msg, status, t.toTag);
    for (const [k, v] of Object.entries(extra)) res.append(k, v);
    t.sendResponse(status, res.toBuffer());
  }

  private outOfDialog(msg: SipMessage, bytes: number, source: Peer, key: string, replyTo: Peer): void {
    if (this.ctx.txns.merged(msg, key)) {
      this.reject(msg, key, bytes, replyTo, source, 482);
      return;
    }
    const verb = msg.method.toLowerCase();
    const conn = this.ctx.apps.pick(verb);
    if (!conn) {
      const known = KNOWN_METHODS.has(msg.method);
      // RFC 3261 8.2.1: 405 for a method we know but nobody serves, 501 for one we don't know
      const anyApp = this.ctx.apps.connections.some((c) => c.authenticated);
      const status = !known ? 501 : anyApp ? 405 : 503;
      const allow = [...new Set(this.ctx.apps.connections.flatMap((c) => [...c.routes]))]
        .filter((v) => !v.startsWith('cdr:')).map((v) => v.toUpperCase());
      this.reject(msg, key, bytes, replyTo, source, status, status === 503 ? {} : { Allow: ['ACK', 'CANCEL', ...allow].join(', ') });
      return;
    }
    const t = this.newServerTxn(msg, key, bytes, replyTo, { owner: conn.id, dialogId: '', source });
    this.armAppDeadline(t);
    if (msg.method === 'INVITE') this.ctx.cdr('attempt', 'network', msg);
    conn.send(networkLeader(bytes, source.transport, source, t.id, '', { address: this.ctx.opts.advertisedAddress, port: this.ctx.opts.sipPort }), msg.toString());
  }

  private inDialog(msg: SipMessage, bytes: number, source: Peer, key: string, replyTo: Peer, toTag: string): void {
    const fromTag = tagOf(msg.get('from')) ?? '';
    const d = this.ctx.dialogs.find(msg.callId, toTag, fromTag);
    const conn = d ? this.ctx.app(d.owner) : undefined;
    if (!d || !conn) {
      if (this.proxy.forwardInDialog(msg, bytes, source, key, replyTo)) return;
      this.reject(msg, key, bytes, replyTo, source, 481);
      return;
    }
    const seq = msg.cseq.seq;
    // RFC 3261 12.2.2: a CSeq lower than the remote sequence number is out of order
    if (d.remoteSeq && seq < d.remoteSeq) {
      this.reject(msg, key, bytes, replyTo, source, 500, { 'Retry-After': '1' });
      return;
    }
    d.remoteSeq = seq;
    if (['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER'].includes(msg.method)) {
      // RFC 3261 12.2.2: a target refresh request replaces the remote target
      // parsed by the linear name-addr scanner (a regex here could be made quadratic by a run of '<')
      const contact = msg.get('contact');
      const uri = contact ? parseNameAddr(contact)?.uri : undefined;
      if (uri) d.remoteTarget = uri;
    }
    const t = this.newServerTxn(msg, key, bytes, replyTo, { owner: conn.id, dialogId: d.id, source });
    t.toTag = d.localTag;
    this.armAppDeadline(t);
    if (endsSubscription(d.usage, msg)) this.ctx.dialogs.remove(d);
    if (msg.method === 'BYE') {
      this.ctx.dialogs.remove(d);
      this.ctx.cdr('stop', 'network', msg, 'normal-release');
    }
    conn.send(networkLeader(bytes, source.transport, source, t.id, d.id), msg.toString());
  }

  /** RFC 3261 13.3.1.4 / 17.2.1: an ACK for a 2xx is its own transaction and goes to the dialog. */
  private ack2xx(msg: SipMessage, bytes: number, source: Peer): void {
    const d = this.ctx.dialogs.find(msg.callId, tagOf(msg.get('to')) ?? '', tagOf(msg.get('from')) ?? '');
    if (!d) {
      // a stray ACK is relayed to where its Route names (maybe a DNS lookup): within the source's rate only
      if (this.withinRate(source)) this.proxy.forwardAck(msg);
      return;
    }
    const pending = d.pending2xx;
    if (!pending || pending.cseq !== msg.cseq.seq) return; // a retransmitted ACK: already delivered
    pending.stop();
    d.pending2xx = undefined;
    this.ctx.app(d.owner)?.send(networkLeader(bytes, '', source, pending.txnId, d.id), msg.toString());
  }

  /** RFC 3261 9.2: 200 to the CANCEL, 487 to the INVITE if still pending, then tell the app. */
  private cancel(msg: SipMessage, bytes: number, source: Peer, via: Via, key: string, replyTo: Peer): void {
    const invite = this.ctx.txns.server(TransactionLayer.serverKey(msg, via, 'INVITE'));
    if (!(invite instanceof ServerInviteTransaction)) {
      this.reject(msg, key, bytes, replyTo, source, 481);
      return;
    }
    const info = this.info.get(invite);
    const t = this.newServerTxn(msg, key, bytes, replyTo, { owner: info?.owner ?? 0, dialogId: '', source });
    t.toTag = invite.toTag ?? newTag();
    t.sendResponse(200, responseTo(msg, 200, t.toTag).toBuffer());
    if (invite.done) return;
    if (info?.proxied) {
      this.proxy.cancel(invite);
      return;
    }
    invite.toTag ??= t.toTag;
    invite.sendResponse(487, responseTo(invite.request, 487, invite.toTag).toBuffer());
    const early = this.ctx.dialogs.find(msg.callId, invite.toTag, tagOf(msg.get('from')) ?? '');
    if (early) this.ctx.dialogs.remove(early);
    const conn = info ? this.ctx.app(info.owner) : undefined;
    this.ctx.cdr('stop', 'network', msg, 'call-canceled');
    conn?.send(networkLeader(invite.requestBytes, source.transport, source, invite.id, early?.id ?? ''), msg.toString());
  }
}
