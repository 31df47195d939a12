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
  constructor(private readonly ctx: EngineContext, private readonly proxy: ProxyCore,
    readonly info: WeakMap<ServerTransaction, ServerTxnInfo>) {}

  /** A request whose syntax failed: 400 if it can be answered at all (RFC 4475 3.1.2). */
  rejectUnparseable(msg: SipMessage, source: Peer, reason: string): void {
    if (msg.method === 'ACK') return;
    const via = stampReceived(msg, source);
    if (!via || !msg.has('call-id') || !msg.has('cseq') || !msg.has('from') || !msg.has('to')) return;
    this.ctx.counters.rejectedRequests++;
    const version = /^version/.test(reason);
    const res = responseTo(msg, version ? 505 : 400, newTag(), version ? 'Version Not Supported' : `Bad Request - ${reason}`);
    this.ctx.sendStateless(res, responseDestination(via, source));
    
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
      if (msg.method === 'ACK') return;
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
    if (msg.method === 'CANCEL') {
      this.cancel(msg, bytes, source, via, key, replyTo);
      return;
    }
    const toTag = tagOf(msg.get('to'));
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
      this.proxy.forwardAck(msg);
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
