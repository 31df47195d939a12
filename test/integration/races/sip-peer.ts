import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { answer as digestAnswer } from '../../support/digest-client';
import { branchOf, cseqOf, header, m2xxTarget, parseSip, tagOf, uriOf, requestText, responseText, type RequestParts, type ResponseOptions, type SipMessage } from './sip-message';

/**
 * A raw UDP SIP phone for the race suite. Unlike sipp it sends exactly the messages a
 * test asks for, as many as it likes in one tick (ACK and BYE back to back, a re-INVITE
 * right behind the ACK, a CANCEL crossing a 200), and it keeps every request it
 * receives so a test can check that each leg got what SIP requires of the server.
 *
 * What it does on its own (a well-behaved phone): answers BYE, CANCEL (and 487 to the
 * INVITE), a re-INVITE or UPDATE (200 with its SDP), INFO/OPTIONS/NOTIFY with 200;
 * answers a retransmitted request with the same response; ACKs a retransmitted 2xx it
 * has ACKed before (RFC 3261 13.2.2.4). Messages are parsed by a plain split: they come
 * from the server under test, on loopback.
 */

export { header, parseSip, type SipMessage } from './sip-message';

/** One dialog as this phone sees it (RFC 3261 12.1). */
export interface PeerDialog {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** From and To as this side sends them (with tags) */
  local: string;
  remote: string;
  remoteTarget: string;
  routeSet: string[];
  cseq: number;
  /** this side's current SDP */
  sdp: string;
  /** the last ACK sent for a 2xx, resent for its retransmissions */
  lastAck?: string;
}

export interface InviteOptions {
  /** user called (`sip:<to>@<domain>`) */
  to: string;
  /** authenticate as this user (password `pw-<user>`) */
  user: string;
  password?: string;
  /** SDP offer (default: a PCMU/PCMA offer on a dummy port) */
  sdp?: string;
  /** ACK a 2xx by itself (default true); false: the test sends it */
  autoAck?: boolean;
  headers?: Record<string, string>;
}

/** An INVITE this phone received: the test decides what to answer. */
export interface IncomingInvite {
  request: SipMessage;
  dialog: PeerDialog;
  /** the text of a response to it (not sent), so a test can send it together with something else */
  response(status: number, sdp?: string, headers?: Record<string, string>): string;
  send(status: number, sdp?: string, headers?: Record<string, string>): void;
}

export interface OutgoingCall {
  cancel(): string;
  result: Promise<{ response: SipMessage; dialog?: PeerDialog }>;
}

interface Pending {
  resolve: (m: SipMessage) => void;
  provisional?: (m: SipMessage) => void;
}

export class SipPeer {
  private readonly socket = dgram.createSocket('udp4');
  private readonly pending = new Map<string, Pending>();
  /** responses this phone sent, by branch + method, for retransmitted requests */
  private readonly answered = new Map<string, string>();
  private readonly inviteWaiters: Array<(i: IncomingInvite) => void> = [];
  private readonly invites: IncomingInvite[] = [];
  private readonly requestWaiters: Array<{ pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }> = [];
  /** INVITEs received and not answered finally yet, by branch (for CANCEL) */
  private readonly unanswered = new Map<string, { invite: SipMessage; dialog: PeerDialog }>();
  /** every request received, in order */
  readonly received: SipMessage[] = [];
  /** every final response received, in order */
  readonly responses: SipMessage[] = [];
  port = 0;
  private sdpVersion = 1;

  constructor(readonly server: { host: string; port: number }, readonly domain: string, readonly address = '127.0.0.1') {}

  /** Binds the phone's UDP socket: on `port`, or one the kernel picks. */
  async start(port = 0): Promise<this> {
    this.socket.on('message', (buf) => this.receive(buf.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(port, this.address, () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
    this.port = this.socket.address().port;
    return this;
  }

  close(): void {
    this.socket.close();
  }

  get contact(): string {
    return `<sip:peer@${this.address}:${this.port}>`;
  }

  /** An SDP this phone offers or answers with; the version grows each time (RFC 3264 8). */
  sdp(mediaPort = 40000): string {
    const v = this.sdpVersion++;
    return ['v=0', `o=- 4242 ${v} IN IP4 ${this.address}`, 's=-', `c=IN IP4 ${this.address}`, 't=0 0',
      `m=audio ${mediaPort} RTP/AVP 0 8`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', ''].join('\r\n');
  }

  sendRaw(...texts: string[]): void {
    for (const t of texts) this.socket.send(t, this.server.port, this.server.host);
  }

  /** REGISTER with digest authentication; rejects unless the final answer is 200. */
  async register(user: string, password = `pw-${user}`, timeoutMs = 5000): Promise<void> {
    const callId = randomBytes(8).toString('hex');
    const from = `<sip:${user}@${this.domain}>;tag=${randomBytes(4).toString('hex')}`;
    const to = `<sip:${user}@${this.domain}>`;
    const uri = `sip:${this.domain}`;
    const build = (cseq: number, auth?: string): string => this.requestText({ method: 'REGISTER', uri, from, to, callId, cseq,
      headers: { Contact: this.contact, Expires: '3600', ...(auth ? { Authorization: auth } : {}) } });
    let r = await this.transact(build(1), timeoutMs);
    if (r.status === 401) {
      const auth = digestAnswer(header(r, 'www-authenticate'), { user, password, method: 'REGISTER', uri });
      r = await this.transact(build(2, auth), timeoutMs);
    }
    if (r.status !== 200) throw new Error(`REGISTER ${user}: ${r.status}`);
  }

  /**
   * Calls a user (answering the 407 challenge). `result` resolves with the final response
   * and, for a 2xx, the dialog; `onProvisional` sees each 1xx; `cancel()` sends a CANCEL
   * for the INVITE in progress now and returns its text (for responseTo).
   */
  call(o: InviteOptions, onProvisional?: (m: SipMessage) => void, timeoutMs = 15000): OutgoingCall {
    const callId = randomBytes(8).toString('hex');
    const localTag = randomBytes(4).toString('hex');
    const uri = `sip:${o.to}@${this.domain}`;
    const from = `<sip:${o.user}@${this.domain}>;tag=${localTag}`;
    const to = `<${uri}>`;
    const sdp = o.sdp ?? this.sdp();
    let inviteText = this.requestText({ method: 'INVITE', uri, from, to, callId, cseq: 1, body: sdp, headers: { Contact: this.contact, ...o.headers } });
    const cancel = (): string => {
      const text = this.cancelText(inviteText);
      this.sendRaw(text);
      return text;
    };
    const run = async (): Promise<{ response: SipMessage; dialog?: PeerDialog }> => {
      let r = await this.transact(inviteText, timeoutMs, onProvisional);
      if (r.status === 407) {
        this.sendRaw(this.ackFor(inviteText, r));
        const auth = digestAnswer(header(r, 'proxy-authenticate'), { user: o.user, password: o.password ?? `pw-${o.user}`, method: 'INVITE', uri });
        inviteText = this.requestText({ method: 'INVITE', uri, from, to, callId, cseq: 2, body: sdp,
          headers: { Contact: this.contact, 'Proxy-Authorization': auth, ...o.headers } });
        r = await this.transact(inviteText, timeoutMs, onProvisional);
      }
      if (r.status! >= 300) {
        this.sendRaw(this.ackFor(inviteText, r));
        return { response: r };
      }
      const dialog: PeerDialog = this.track({
        callId, localTag, remoteTag: tagOf(header(r, 'to')), local: from, remote: header(r, 'to'),
        remoteTarget: uriOf(header(r, 'contact')), routeSet: [...(r.headers.get('record-route') ?? [])].reverse(), cseq: cseqOf(r).n, sdp,
      });
      if (o.autoAck !== false) this.sendRaw(this.ack(dialog));
      return { response: r, dialog };
    };
    return { cancel, result: run() };
  }

  /** The ACK for a dialog's 2xx (not sent); remembered so retransmitted 2xx get it again. */
  ack(d: PeerDialog): string {
    d.lastAck = this.inDialogText(d, 'ACK', d.cseq);
    return d.lastAck;
  }

  /** The text of a new request in the dialog (not sent): the CSeq counts up. */
  inDialog(d: PeerDialog, method: string, opts: { body?: string; headers?: Record<string, string> } = {}): string {
    d.cseq++;
    return this.inDialogText(d, method, d.cseq, opts);
  }

  /**
   * Sends a request in the dialog and resolves with its final response; the 2xx of a
   * re-INVITE is ACKed (RFC 3261 13.2.2.4).
   */
  async request(d: PeerDialog, method: string, opts: { body?: string; headers?: Record<string, string> } = {}, timeoutMs = 10000): Promise<SipMessage> {
    const text = this.inDialog(d, method, opts);
    const r = await this.transact(text, timeoutMs);
    if (method === 'INVITE') this.ackReinvite(d, text, r);
    return r;
  }

  /** The ACK of a re-INVITE's final response: in the dialog for a 2xx, in its transaction otherwise. */
  ackReinvite(d: PeerDialog, inviteText: string, r: SipMessage): void {
    const inv = parseSip(inviteText);
    if (r.status! >= 300) {
      this.sendRaw(this.ackFor(inviteText, r));
      return;
    }
    if (m2xxTarget(r)) d.remoteTarget = m2xxTarget(r)!;
    d.lastAck = this.inDialogText(d, 'ACK', cseqOf(inv).n);
    this.sendRaw(d.lastAck);
  }

  /** Sends a request text built here and resolves with its final response. */
  transact(text: string, timeoutMs = 10000, onProvisional?: (m: SipMessage) => void): Promise<SipMessage> {
    const msg = parseSip(text);
    const key = `${branchOf(msg)}|${msg.method}`;
    const p = new Promise<SipMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`no final response to ${msg.method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, { resolve: (m) => {
        clearTimeout(timer);
        resolve(m);
      }, provisional: onProvisional });
    });
    this.sendRaw(text);
    return p;
  }

  /** Resolves with the final response to a request sent earlier with sendRaw. */
  responseTo(text: string, timeoutMs = 10000): Promise<SipMessage> {
    const msg = parseSip(text);
    const key = `${branchOf(msg)}|${msg.method}`;
    const done = this.responses.find((r) => `${branchOf(r)}|${cseqOf(r).method}` === key);
    if (done) return Promise.resolve(done);
    return new Promise<SipMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`no final response to ${msg.method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, { resolve: (m) => {
        clearTimeout(timer);
        resolve(m);
      } });
    });
  }

  /** The next INVITE that starts a dialog here (the server calling this phone). */
  nextInvite(timeoutMs = 10000): Promise<IncomingInvite> {
    const ready = this.invites.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no INVITE within ${timeoutMs} ms`)), timeoutMs);
      this.inviteWaiters.push((i) => {
        clearTimeout(timer);
        resolve(i);
      });
    });
  }

  /** re-INVITEs wait for the test to answer them (nextReinvite) instead of an automatic 200 */
  holdReinvites = false;
  private readonly reinvites: IncomingInvite[] = [];
  private readonly reinviteWaiters: Array<(i: IncomingInvite) => void> = [];

  /** The next re-INVITE received while holdReinvites is on. */
  nextReinvite(timeoutMs = 10000): Promise<IncomingInvite> {
    const ready = this.reinvites.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no re-INVITE within ${timeoutMs} ms`)), timeoutMs);
      this.reinviteWaiters.push((i) => {
        clearTimeout(timer);
        resolve(i);
      });
    });
  }

  /** The first received request (past or future) that matches. */
  waitRequest(pred: (m: SipMessage) => boolean, timeoutMs = 10000, what = 'request'): Promise<SipMessage> {
    const seen = this.received.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const entry = { pred, resolve: (m: SipMessage) => {
        clearTimeout(timer);
        resolve(m);
      } };
      const timer = setTimeout(() => {
        const i = this.requestWaiters.indexOf(entry);
        if (i !== -1) this.requestWaiters.splice(i, 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.requestWaiters.push(entry);
    });
  }

  /** Requests received inside one dialog (by Call-ID). */
  requestsIn(callId: string, method?: string): SipMessage[] {
    return this.received.filter((m) => header(m, 'call-id') === callId && (!method || m.method === method));
  }

  private requestText(r: RequestParts): string {
    return requestText(`${this.address}:${this.port}`, r);
  }

  private inDialogText(d: PeerDialog, method: string, cseq: number, opts: { body?: string; headers?: Record<string, string> } = {}): string {
    const headers = { ...(method === 'INVITE' || method === 'UPDATE' ? { Contact: this.contact } : {}), ...opts.headers };
    return this.requestText({ method, uri: d.remoteTarget, from: d.local, to: d.remote, callId: d.callId, cseq, routes: d.routeSet, body: opts.body, headers });
  }

  /** RFC 3261 17.1.1.3: the ACK of a non-2xx final response, in the INVITE's transaction. */
  private ackFor(inviteText: string, r: SipMessage): string {
    const inv = parseSip(inviteText);
    return this.requestText({ method: 'ACK', uri: inv.uri ?? '', from: header(inv, 'from'), to: header(r, 'to'), callId: header(inv, 'call-id'),
      cseq: cseqOf(inv).n, branch: branchOf(inv) });
  }

  /** RFC 3261 9.1: CANCEL with the INVITE's branch, Request-URI, From, To, Call-ID and CSeq number. */
  private cancelText(inviteText: string): string {
    const inv = parseSip(inviteText);
    return this.requestText({ method: 'CANCEL', uri: inv.uri ?? '', from: header(inv, 'from'), to: header(inv, 'to'), callId: header(inv, 'call-id'),
      cseq: cseqOf(inv).n, branch: branchOf(inv) });
  }

  private responseText(req: SipMessage, status: number, opts: ResponseOptions = {}): string {
    return responseText(req, status, this.contact, opts);
  }

  private reply(req: SipMessage, text: string): void {
    this.answered.set(`${branchOf(req)}|${req.method}`, text);
    this.sendRaw(text);
  }

  private receive(raw: string): void {
    const m = parseSip(raw);
    if (m.status !== undefined) {
      this.onResponse(m);
      return;
    }
    const again = this.answered.get(`${branchOf(m)}|${m.method}`);
    if (again) {
      this.sendRaw(again);
      return;
    }
    if (m.method !== 'ACK' && m.method !== 'CANCEL' && this.received.some((r) => r.method === m.method && branchOf(r) === branchOf(m))) {
      return; // a retransmission still being worked on (an INVITE the test has not answered)
    }
    this.received.push(m);
    for (const w of [...this.requestWaiters]) {
      if (w.pred(m)) {
        this.requestWaiters.splice(this.requestWaiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
    this.onRequest(m);
  }

  private onResponse(m: SipMessage): void {
    const { method } = cseqOf(m);
    const key = `${branchOf(m)}|${method}`;
    const p = this.pending.get(key);
    if (m.status! < 200) {
      p?.provisional?.(m);
      return;
    }
    const first = !this.responses.some((r) => `${branchOf(r)}|${cseqOf(r).method}` === key);
    if (first) this.responses.push(m);
    if (!p) {
      // a retransmitted 2xx: the ACK again (RFC 3261 13.2.2.4)
      if (!first && method === 'INVITE' && m.status! < 300) {
        const callId = header(m, 'call-id');
        const ack = this.lastAcks.get(callId);
        if (ack) this.sendRaw(ack);
      }
      return;
    }
    this.pending.delete(key);
    p.resolve(m);
  }

  /** ACK texts by Call-ID (read when a 2xx is retransmitted) */
  private get lastAcks(): Map<string, string> {
    const out = new Map<string, string>();
    for (const d of this.dialogs) if (d.lastAck) out.set(d.callId, d.lastAck);
    return out;
  }

  /** dialogs this phone knows, for retransmitted 2xx and auto-answers */
  readonly dialogs: PeerDialog[] = [];

  /** Registers a dialog the test built (from invite()) so retransmissions and auto-answers find it. */
  track(d: PeerDialog): PeerDialog {
    if (!this.dialogs.includes(d)) this.dialogs.push(d);
    return d;
  }

  private onRequest(m: SipMessage): void {
    const callId = header(m, 'call-id');
    const toTag = tagOf(header(m, 'to'));
    switch (m.method) {
      case 'ACK':
        return;
      case 'CANCEL': {
        this.reply(m, this.responseText(m, 200));
        const u = this.unanswered.get(branchOf(m));
        if (u) {
          this.unanswered.delete(branchOf(m));
          this.reply(u.invite, this.responseText(u.invite, 487, { toTag: u.dialog.localTag, reason: 'Request Terminated' }));
        }
        return;
      }
      case 'INVITE': {
        if (!toTag) {
          this.newInvite(m);
          return;
        }
        // a re-INVITE: answer with this phone's SDP (RFC 3264 8)
        const d = this.dialogs.find((x) => x.callId === callId);
        if (!d) {
          this.reply(m, this.responseText(m, 481, { reason: 'Call/Transaction Does Not Exist' }));
          return;
        }
        if (m.headers.get('contact')) d.remoteTarget = uriOf(header(m, 'contact'));
        if (this.holdReinvites) {
          const held: IncomingInvite = {
            request: m,
            dialog: d,
            response: (status, sdp) => {
              if (sdp) d.sdp = sdp;
              const text = this.responseText(m, status, { body: sdp });
              this.answered.set(`${branchOf(m)}|INVITE`, text);
              return text;
            },
            send: (status, sdp) => this.sendRaw(held.response(status, sdp)),
          };
          const w = this.reinviteWaiters.shift();
          if (w) w(held);
          else this.reinvites.push(held);
          return;
        }
        d.sdp = this.sdp();
        this.reply(m, this.responseText(m, 200, { body: d.sdp }));
        return;
      }
      case 'BYE':
        this.reply(m, this.responseText(m, this.dialogs.some((x) => x.callId === callId) ? 200 : 481));
        return;
      case 'UPDATE': {
        const d = this.dialogs.find((x) => x.callId === callId);
        this.reply(m, this.responseText(m, d ? 200 : 481, { body: d && m.body ? (d.sdp = this.sdp()) : undefined }));
        return;
      }
      default:
        this.reply(m, this.responseText(m, 200));
    }
  }

  private newInvite(m: SipMessage): void {
    const localTag = randomBytes(4).toString('hex');
    const dialog: PeerDialog = this.track({
      callId: header(m, 'call-id'), localTag, remoteTag: tagOf(header(m, 'from')),
      local: `${header(m, 'to')};tag=${localTag}`, remote: header(m, 'from'),
      remoteTarget: uriOf(header(m, 'contact')), routeSet: [...(m.headers.get('record-route') ?? [])], cseq: 1, sdp: '',
    });
    this.unanswered.set(branchOf(m), { invite: m, dialog });
    const incoming: IncomingInvite = {
      request: m,
      dialog,
      response: (status, sdp, headers) => {
        if (status >= 200) this.unanswered.delete(branchOf(m));
        if (sdp) dialog.sdp = sdp;
        const text = this.responseText(m, status, { toTag: localTag, body: sdp, headers });
        if (status >= 200) this.answered.set(`${branchOf(m)}|INVITE`, text);
        return text;
      },
      send: (status, sdp, headers) => this.sendRaw(incoming.response(status, sdp, headers)),
    };
    const w = this.inviteWaiters.shift();
    if (w) w(incoming);
    else this.invites.push(incoming);
  }
}
