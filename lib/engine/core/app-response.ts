import type { Dialog } from '../dialog/dialog';
import { newTag, newBranch } from '../sip/ids';
import type { SipMessage } from '../sip/message';
import { SipMessage as Msg } from '../sip/message';
import { parseNameAddr, tagOf } from '../sip/name-addr';
import { responseTo } from '../sip/response';
import { ServerInviteTransaction, type ServerTransaction } from '../transaction/server-transactions';
import type { AppCommand, AppConnection } from '../wire/app-server';
import type { EngineContext } from './context';
import type { InboundRequests } from './inbound-request';
import { sentResponseLeader } from './wire-format';
import { newId } from '../sip/ids';

/** Headers the engine owns in a response: the app's copies are ignored (RFC 3261 8.2.6.2). */
const OWNED = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length']);

/**
 * Responses the application sends to network requests (`sip|<txnId>|` + response).
 * The engine fills in what a UAS core must (RFC 3261 8.2.6, 12.1.1), creates the
 * dialog on a 1xx/2xx to INVITE or SUBSCRIBE, and retransmits 2xx to INVITE until the
 * ACK arrives (13.3.1.4).
 */
export class AppResponses {
  constructor(private readonly ctx: EngineContext, private readonly inbound: InboundRequests) {}

  handle(conn: AppConnection, cmd: AppCommand, txnId: string, appMsg: SipMessage): void {
    const t = this.ctx.txns.serverById(txnId);
    const info = t ? this.inbound.info.get(t) : undefined;
    if (!t || !info || t.done || info.proxied) {
      conn.reply(cmd.msgId, 'NOK|Response not sent due to unknown transaction');
      return;
    }
    const req = t.request;
    const status = appMsg.status;
    if (status > 100) t.toTag ??= tagOf(req.get('to')) ?? newTag();
    const res = responseTo(req, status, t.toTag, appMsg.reason);
    for (const h of appMsg.headers) if (!OWNED.has(h.key)) res.headers.push(h);
    res.body = appMsg.body;
    if (res.body.length > 0 && !res.has('content-type')) res.set('Content-Type', 'application/sdp');
    const creates = (req.method === 'INVITE' || req.method === 'SUBSCRIBE') && !tagOf(req.get('to'));
    if ((creates || req.method === 'INVITE') && status > 100 && status < 300 && !res.has('contact')) {
      res.set('Contact', this.ctx.contact(t.peer.transport));
    }
    if (creates && status > 100 && status < 300) {
      // RFC 3261 12.1.1: a response that establishes a dialog carries the request's
      // Record-Route values, in order, so the caller's in-dialog requests go back through
      // every proxy that asked to stay on the path
      res.headers = res.headers.filter((h) => h.key !== 'record-route');
      for (const rr of req.getAll('record-route')) res.append('Record-Route', rr);
    }
    let dialog = info.dialogId ? this.ctx.dialogs.byAppId(info.dialogId) : undefined;
    if (creates && status > 100 && status < 300) dialog = this.createOrConfirm(t, res, info.owner, status);
    if (creates && status >= 300) {
      const early = this.ctx.dialogs.find(req.callId, t.toTag ?? '', tagOf(req.get('from')) ?? '');
      if (early) this.ctx.dialogs.remove(early);
      dialog = undefined;
    }
    const buf = res.toBuffer();
    t.sendResponse(status, buf);
    if (req.method === 'INVITE' && creates && status >= 200) {
      if (status < 300) this.ctx.cdr('start', 'application', res, 'uas');
      else this.ctx.cdr('stop', 'application', res, 'call-rejected');
    }
    if (req.method === 'INVITE' && status >= 200 && status < 300 && dialog) this.retransmit2xx(t, dialog, buf);
    const text = buf.toString('utf8');
    const dialogId = dialog && this.ctx.dialogs.byAppId(dialog.id) ? dialog.id : '';
    conn.reply(cmd.msgId, sentResponseLeader(buf.length, req.method === 'INVITE' ? t.peer.transport : '', t.peer, t.id, dialogId), text);
  }

  private createOrConfirm(t: ServerTransaction, res: SipMessage, owner: number, status: number): Dialog {
    const req = t.request;
    const remoteTag = tagOf(req.get('from')) ?? '';
    const localTag = t.toTag ?? '';
    let d = this.ctx.dialogs.find(req.callId, localTag, remoteTag);
    if (!d) {
      const contact = req.get('contact');
      const target = contact ? parseNameAddr(contact)?.uri ?? '' : '';
      const info = this.inbound.info.get(t);
      const source = info?.source ?? t.peer;
      // NAT or a stream: in-dialog requests go back where the INVITE came from
      const via = req.get('via') ?? '';
      const nated = /;\s*received=/i.test(via);
      d = {
        id: `${req.callId};from-tag=${remoteTag}`,
        role: 'uas',
        usage: req.method === 'SUBSCRIBE' ? 'SUBSCRIBE' : 'INVITE',
        state: 'early',
        callId: req.callId,
        localTag,
        remoteTag,
        localUri: res.get('to') ?? '',
        remoteUri: req.get('from') ?? '',
        localSeq: 0,
        remoteSeq: req.cseq.seq,
        remoteTarget: target,
        routeSet: req.getAll('record-route'),
        fixedPeer: source.transport !== 'udp' || nated ? source : undefined,
        owner,
        inviteTxnId: t.id,
        ackCseq: 0,
      };
      this.ctx.dialogs.add(d);
    }
    if (status >= 200) d.state = 'confirmed';
    return d;
  }

  /**
   * RFC 3261 13.3.1.4: the UAS core retransmits the 2xx (T1 doubling to T2) until the
   * ACK; with no ACK after 64*T1 the dialog is torn down with a BYE, and the app hears
   * of it as an unsolicited BYE, as drachtio does.
   */
  private retransmit2xx(t: ServerTransaction, d: Dialog, buf: Buffer): void {
    const { t1, t2 } = this.ctx.opts.timers;
    const reliable = t.peer.transport !== 'udp';
    let timer: NodeJS.Timeout | undefined;
    const started = Date.now();
    const stop = (): void => clearTimeout(timer);
    // the initial ACK reaches the app under the INVITE's txn id, a re-INVITE's ACK under a new one
    const ackTxnId = d.inviteTxnId === t.id ? t.id : newId();
    d.pending2xx?.stop();
    d.pending2xx = { cseq: t.request.cseq.seq, txnId: ackTxnId, stop };
    const tick = (interval: number): void => {
      timer = setTimeout(() => {
        if (Date.now() - started >= 64 * t1) {
          this.ackTimeout(d);
          return;
        }
        if (!reliable) {
          this.ctx.counters.retransmissionsOut++;
          this.ctx.sendRaw(buf, t.peer);
        }
        tick(Math.min(interval * 2, t2));
      }, reliable ? 64 * t1 : interval);
    };
    tick(t1);
    if (t instanceof ServerInviteTransaction) t.onTimeoutNoAck = undefined;
  }

  private ackTimeout(d: Dialog): void {
    d.pending2xx = undefined;
    this.ctx.log.warn('no ACK for 2xx, ending dialog', { callId: d.callId, dialogId: d.id });
    this.ctx.dialogs.remove(d);
    const bye = Msg.request('BYE', d.remoteTarget);
    bye.append('Via', `SIP/2.0/${(d.fixedPeer?.transport ?? 'udp').toUpperCase()} ${this.ctx.sentBy()};rport;branch=${newBranch()}`);
    bye.append('Max-Forwards', '70');
    bye.append('From', d.localUri);
    bye.append('To', d.remoteUri);
    bye.append('Call-ID', d.callId);
    bye.append('CSeq', `${(d.localSeq || 1) + 1} BYE`);
    bye.append('Reason', 'SIP;cause=408;text="ACK timeout"');
    for (const r of d.routeSet) bye.append('Route', r);
    const peerPromise = d.fixedPeer ? Promise.resolve(d.fixedPeer) : this.ctx.resolve(d.remoteTarget);
    peerPromise.then((peer) => this.ctx.sendRaw(bye.toBuffer(), peer)).catch(() => undefined);
    this.ctx.app(d.owner)?.send(`sip|application|0|||||unsolicited|${d.id}|`, bye.toString());
  }
}
