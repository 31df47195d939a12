import type { Dialog } from '../dialog/dialog';
import type { SipMessage } from '../sip/message';
import { parseNameAddr, tagOf } from '../sip/name-addr';
import { responseTo } from '../sip/response';
import { parseSipUri } from '../sip/uri';
import { topViaBranch } from '../sip/via';
import { ClientInviteTransaction, ClientNonInviteTransaction, type ClientTransaction, type ClientTxnUser } from '../transaction/client-transactions';
import { TransactionLayer } from '../transaction/transaction-layer';
import type { Peer } from '../transport/types';
import type { AppCommand, AppConnection } from '../wire/app-server';
import type { EngineContext } from './context';
import { buildCancel, buildInDialogRequest, buildNewRequest, buildNon2xxAck } from './request-builder';
import { networkLeader, sentRequestLeader } from './wire-format';
import { newId } from '../sip/ids';

/**
 * Requests the application sends (`sip|<txnId>|<dialogId>[|<nextHop>]` + request):
 * new requests, in-dialog requests and ACKs, and CANCEL of a pending INVITE. Responses
 * to them come back as `sip|network` frames under the request's transaction id.
 */
export class AppRequests {
  constructor(private readonly ctx: EngineContext) {}

  async handle(conn: AppConnection, cmd: AppCommand, app: SipMessage): Promise<void> {
    const [txnId = '', dialogId = '', nextHop = ''] = cmd.fields;
    if (app.method === 'CANCEL' && txnId) return this.cancel(conn, cmd, txnId, app);
    if (dialogId) return this.inDialog(conn, cmd, dialogId, app);
    if (app.method === 'ACK') return this.strayAck(conn, cmd, app);
    return this.outOfDialog(conn, cmd, app, nextHop);
  }

  /**
   * An ACK the application sends without a dialog id. RFC 3261 17.1.1.3 / 13.2.2.4: an ACK
   * is never a request of its own, it completes an INVITE: the one for a non-2xx is made
   * by our client transaction, the one for a 2xx goes inside the dialog the 2xx made. So
   * an ACK naming a dialog this engine holds (Call-ID, From tag ours, To tag theirs) goes
   * there, to the dialog's peer; any other is refused, never routed by its own Route or
   * Request-URI: relaying it made the engine an open relay for ACKs (issue #13, item 1).
   */
  private async strayAck(conn: AppConnection, cmd: AppCommand, app: SipMessage): Promise<void> {
    const localTag = tagOf(app.get('from'));
    const remoteTag = tagOf(app.get('to'));
    const d = localTag && remoteTag ? this.ctx.dialogs.find(app.callId, localTag, remoteTag) : undefined;
    if (d && d.usage === 'INVITE') return this.inDialog(conn, cmd, d.id, app);
    this.ctx.counters.appAcksRefused++;
    conn.reply(cmd.msgId, 'NOK|ACK outside any dialog of this engine refused');
  }

  private async outOfDialog(conn: AppConnection, cmd: AppCommand, app: SipMessage, nextHop: string): Promise<void> {
    const uri = parseSipUri(app.uri);
    if (!uri) {
      conn.reply(cmd.msgId, `NOK|invalid request-uri: ${app.uri}`);
      return;
    }
    // RFC 3261 8.1.2: the first Route if it is a loose router, else the Request-URI
    const route = app.get('route');
    const target = nextHop || (route ? parseNameAddr(route)?.uri ?? app.uri : app.uri);
    let peer: Peer;
    try {
      peer = await this.ctx.resolve(target);
    } catch (err) {
      conn.reply(cmd.msgId, `NOK|cannot resolve ${target}: ${(err as Error).message}`);
      return;
    }
    const msg = buildNewRequest(this.ctx, app, peer.transport);
    // a next hop given by the app (NAT: where the callee's REGISTER came from) stays the
    // way into the dialog too, whatever the callee's Contact says
    this.start(conn, cmd, msg, peer, '', nextHop !== '');
    if (msg.method === 'INVITE') this.ctx.cdr('attempt', 'application', msg);
  }

  private async inDialog(conn: AppConnection, cmd: AppCommand, dialogId: string, app: SipMessage): Promise<void> {
    const d = this.ctx.dialogs.byAppId(dialogId);
    if (!d) {
      conn.reply(cmd.msgId, 'NOK|Server error: unable to find dialog for dialog id provided');
      return;
    }
    let peer: Peer;
    try {
      peer = await this.dialogPeer(d);
    } catch (err) {
      conn.reply(cmd.msgId, `NOK|cannot resolve ${d.remoteTarget}: ${(err as Error).message}`);
      return;
    }
    const msg = buildInDialogRequest(this.ctx, d, app, peer.transport);
    if (app.method === 'ACK') {
      // RFC 3261 13.2.2.4: the 2xx ACK is sent by the UAC core, no transaction; kept to answer 2xx retransmissions
      const buf = msg.toBuffer();
      d.lastAck = { cseq: d.ackCseq, buf, peer };
      this.ctx.sendRaw(buf, peer);
      conn.reply(cmd.msgId, sentRequestLeader(buf.length, peer.transport, this.local(), newId()), buf.toString('utf8'));
      return;
    }
    this.start(conn, cmd, msg, peer, d.id);
    if (endsSubscription(d.usage, msg)) this.ctx.dialogs.remove(d);
    if (app.method === 'BYE') {
      this.ctx.dialogs.remove(d);
      this.ctx.cdr('stop', 'application', msg, 'normal-release');
    }
  }

  private dialogPeer(d: Dialog): Promise<Peer> {
    if (d.fixedPeer) return Promise.resolve(d.fixedPeer);
    const first = d.routeSet[0] ? parseNameAddr(d.routeSet[0])?.uri : undefined;
    return this.ctx.resolve(first ?? d.remoteTarget);
  }

  private local(): { address: string; port: number } {
    return { address: this.ctx.opts.advertisedAddress, port: this.ctx.opts.sipPort };
  }

  private start(conn: AppConnection, cmd: AppCommand, msg: SipMessage, peer: Peer, dialogId: string, pinned = false): void {
    const branch = topViaBranch(msg.get('via'));
    const key = TransactionLayer.clientKey(branch, msg.method);
    const buf = msg.toBuffer();
    const t: ClientTransaction = msg.method === 'INVITE'
      ? new ClientInviteTransaction(key, msg, buf, peer, this.ctx.clientEnv)
      : new ClientNonInviteTransaction(key, msg, buf, peer, this.ctx.clientEnv);
    if (t instanceof ClientInviteTransaction) t.buildAck = (res) => buildNon2xxAck(msg, res).toBuffer();
    t.user = new UacUser(this.ctx, conn.id, t, dialogId, pinned);
    this.ctx.txns.addClient(t);
    // the echo must reach the app before any response to this request does
    conn.reply(cmd.msgId, sentRequestLeader(buf.length, peer.transport, this.local(), t.id), buf.toString('utf8'));
    t.start();
  }

  /** RFC 3261 9.1: CANCEL only once a provisional arrived; never after a final. */
  private cancel(conn: AppConnection, cmd: AppCommand, txnId: string, app: SipMessage): void {
    const invite = this.ctx.txns.clientById(txnId);
    if (!(invite instanceof ClientInviteTransaction)) {
      conn.reply(cmd.msgId, 'NOK|unknown transaction');
      return;
    }
    const msg = buildCancel(invite.request, app);
    const buf = msg.toBuffer();
    const branch = topViaBranch(msg.get('via'));
    const t = new ClientNonInviteTransaction(TransactionLayer.clientKey(branch, 'CANCEL'), msg, buf, invite.peer, this.ctx.clientEnv);
    conn.reply(cmd.msgId, sentRequestLeader(buf.length, invite.peer.transport, this.local(), t.id), buf.toString('utf8'));
    const go = (): void => {
      if (invite.isFinal) return;
      this.ctx.txns.addClient(t);
      t.start();
    };
    if (invite.isFinal) return;
    if (invite.provisionalSeen) go();
    else invite.onProvisional = go;
  }
}

/**
 * The transaction user for requests the app sent: relays responses to the app and
 * keeps UAC dialogs (RFC 3261 12.1.2) in step with them.
 */
class UacUser implements ClientTxnUser {
  constructor(private readonly ctx: EngineContext, private readonly owner: number,
    private readonly t: ClientTransaction, private dialogId: string, private readonly pinned: boolean) {}

  onResponse(msg: SipMessage, raw: Buffer, peer: Peer): void {
    if (msg.status === 100) return; // hop-by-hop; drachtio does not pass it up either
    const req = this.t.request;
    if (req.method === 'INVITE') {
      const initial = !tagOf(req.get('to'));
      if (initial && msg.status >= 200 && !this.t.isFinalReported) {
        this.t.isFinalReported = true;
        if (msg.status < 300) this.ctx.cdr('start', 'network', msg, 'uac');
        else this.ctx.cdr('stop', 'network', msg, msg.status === 487 ? 'call-canceled' : 'call-rejected');
      }
      const d = this.trackDialog(msg);
      if (d && msg.status >= 200 && msg.status < 300) {
        if (d.lastAck && d.lastAck.cseq === msg.cseq.seq) {
          // RFC 3261 13.2.2.4: a retransmitted 2xx gets the same ACK again, the app does not see it
          this.ctx.counters.retransmissionsIn++;
          this.ctx.sendRaw(d.lastAck.buf, d.lastAck.peer);
          return;
        }
        d.ackCseq = msg.cseq.seq;
      }
    } else if (msg.status === 481 || msg.status === 408) {
      // RFC 3261 12.2.1.2: these end the dialog
      const d = this.dialogId ? this.ctx.dialogs.byAppId(this.dialogId) : undefined;
      if (d) this.ctx.dialogs.remove(d);
    }
    this.ctx.app(this.owner)?.send(networkLeader(raw.length, peer.transport, peer, this.t.id, this.dialogId), msg.toString());
  }

  private trackDialog(msg: SipMessage): Dialog | undefined {
    const req = this.t.request;
    const localTag = tagOf(req.get('from')) ?? '';
    const remoteTag = tagOf(msg.get('to'));
    const existing = this.dialogId ? this.ctx.dialogs.byAppId(this.dialogId) : undefined;
    if (existing && existing.callId === req.callId && tagOf(req.get('to'))) {
      // re-INVITE: a 2xx refreshes the target (RFC 3261 12.2.1.2)
      if (msg.status >= 200 && msg.status < 300) {
        const c = msg.get('contact');
        const uri = c ? parseNameAddr(c)?.uri : undefined;
        if (uri) existing.remoteTarget = uri;
      }
      return existing;
    }
    // a request the application sent inside a dialog of ours that is gone (a BYE crossed a
    // re-INVITE and its 2xx came late): nothing is created here, or it would be left with no
    // one to end it. A request the application sends with a To tag but outside any dialog
    // of this engine (a dialog resumed from another instance's snapshot) creates one.
    if (this.dialogId && tagOf(req.get('to'))) return undefined;
    if (!remoteTag || msg.status >= 300) {
      if (msg.status >= 300 && remoteTag) {
        const early = this.ctx.dialogs.find(req.callId, localTag, remoteTag);
        if (early) this.ctx.dialogs.remove(early);
      }
      return undefined;
    }
    let d = this.ctx.dialogs.find(req.callId, localTag, remoteTag);
    const contact = msg.get('contact');
    const target = contact ? parseNameAddr(contact)?.uri : undefined;
    if (!d) {
      d = {
        id: `${req.callId};from-tag=${localTag}`,
        role: 'uac',
        usage: 'INVITE',
        state: 'early',
        callId: req.callId,
        localTag,
        remoteTag,
        localUri: req.get('from') ?? '',
        remoteUri: msg.get('to') ?? '',
        localSeq: req.cseq.seq,
        remoteSeq: 0,
        remoteTarget: target ?? req.uri,
        // RFC 3261 12.1.2: the route set is the Record-Route of the response, reversed
        routeSet: msg.getAll('record-route').reverse(),
        fixedPeer: this.pinned || this.t.peer.transport !== 'udp' ? this.t.peer : undefined,
        owner: this.owner,
        inviteTxnId: this.t.id,
        ackCseq: req.cseq.seq,
      };
      this.ctx.dialogs.add(d);
    } else if (target) {
      d.remoteTarget = target;
    }
    if (msg.status >= 200) {
      d.state = 'confirmed';
      d.routeSet = msg.getAll('record-route').reverse();
    }
    this.dialogId = d.id;
    return d;
  }

  onTimeout(): void {
    // RFC 3261 8.1.3.1: a transaction timeout is reported as a 408
    const res = responseTo(this.t.request, 408);
    const d = this.dialogId ? this.ctx.dialogs.byAppId(this.dialogId) : undefined;
    if (d && this.t.request.method !== 'INVITE') this.ctx.dialogs.remove(d);
    const text = res.toString();
    this.ctx.app(this.owner)?.send(networkLeader(Buffer.byteLength(text), this.t.peer.transport, this.t.peer, this.t.id, this.dialogId), text);
  }
}

/** RFC 6665 4.4.1: a NOTIFY with Subscription-State terminated ends a SUBSCRIBE dialog. */
export function endsSubscription(usage: 'INVITE' | 'SUBSCRIBE', msg: SipMessage): boolean {
  return usage === 'SUBSCRIBE' && msg.method === 'NOTIFY' && /^\s*terminated/i.test(msg.get('subscription-state') ?? '');
}
