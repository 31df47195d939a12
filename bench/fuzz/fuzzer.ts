import dgram from 'node:dgram';
import net from 'node:net';
import { DigestClient, parseChallenge } from './digest';
import { freshen, headerName, mutate } from './mutate';
import { Rng } from './rng';
import { allSeeds, rewriteTopVia, type Seed } from './seeds';

/**
 * The mutation fuzzer's driver: mutated SIP messages to one server over UDP (from one or
 * several loopback source addresses) or TCP, at a bounded rate, for a bounded count and
 * time. Deterministic for a seed: the same seed sends the same messages in the same order
 * (the credentials' cnonce aside). With `auth`, part of the traffic carries correct digest
 * credentials of provisioned users (a challenge fetched first, nc counting up) and only
 * the other parts of those messages are mutated.
 */
export interface FuzzAuth {
  /** fraction of the messages sent with valid credentials, 0..1 */
  share: number;
  /** users the fuzzer registers and calls as (their registrations are the fuzzer's) */
  users: Array<{ user: string; password: string }>;
  /** users it calls (e.g. registered phones that answer) */
  callees: string[];
  /** the tenant domain in From/To/Request-URI */
  domain: string;
}

export interface FuzzOptions {
  targetHost: string;
  targetPort: number;
  /** loopback addresses the datagrams come from, round robin (e.g. ['127.0.0.2']) */
  sources: string[];
  transport: 'udp' | 'tcp';
  seed: number;
  count: number;
  /** messages per second, all sources together */
  rate: number;
  /** stop after this long even if `count` was not reached */
  maxMs: number;
  auth?: FuzzAuth;
  /**
   * Keep the top Via's sent-by on our own socket whatever the mutation did to it, so no
   * answer is sent off loopback (for runs outside a network namespace, e.g. mocha).
   */
  loopbackGuard: boolean;
  /** called with every message that was sent, for a reproducer log */
  onSend?: (n: number, msg: Buffer, ops: string[], seedName: string) => void;
}

export interface FuzzResult {
  sent: number;
  authed: number;
  responses: number;
  byStatus: Record<string, number>;
  seconds: number;
  /** messages that could not be sent (socket errors) */
  sendErrors: number;
  /** the first request of each method the server sent to the fuzzer, as received (what a contact the fuzz bound costs) */
  samples: Record<string, string>;
}

interface Source {
  socket: dgram.Socket;
  host: string;
  port: number;
  seeds: Seed[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Status code and Call-ID of a response, scanned by hand (it is the server's, but may answer our junk). */
function statusAndCallId(buf: Buffer): { status: string; callId: string; challenge: string } {
  const text = buf.toString('latin1', 0, Math.min(buf.length, 8000));
  const lines = text.split('\r\n');
  // a request the server sent to the fuzzer is counted by its method (e.g. req:NOTIFY)
  const status = lines[0].startsWith('SIP/2.0 ') ? lines[0].slice(8, 11) : `req:${lines[0].slice(0, Math.max(0, lines[0].indexOf(' '))).slice(0, 16)}`;
  let callId = '';
  let challenge = '';
  for (const l of lines) {
    const n = headerName(l);
    if (n === 'call-id' || n === 'i') callId = l.slice(l.indexOf(':') + 1).trim();
    else if (n === 'www-authenticate' || n === 'proxy-authenticate') challenge = l.slice(l.indexOf(':') + 1).trim();
    else if (l === '') break;
  }
  return { status, callId, challenge };
}

function bindUdp(host: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind({ address: host, port: 0 }, () => {
      s.off('error', reject);
      // large sends are refused by the kernel with EMSGSIZE; that is an error of one send, not of the socket
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}

const AUTH_LINE = (line: string): boolean => {
  const n = headerName(line);
  return n === 'authorization' || n === 'proxy-authorization';
};

export class Fuzzer {
  private readonly rng: Rng;
  private readonly sources: Source[] = [];
  private readonly waiting = new Map<string, (challenge: string) => void>();
  private readonly clients = new Map<string, DigestClient>();
  private readonly result: FuzzResult = { sent: 0, authed: 0, responses: 0, byStatus: {}, seconds: 0, sendErrors: 0, samples: {} };

  constructor(private readonly opts: FuzzOptions) {
    this.rng = new Rng(opts.seed);
  }

  async run(): Promise<FuzzResult> {
    const t0 = Date.now();
    try {
      for (const host of this.opts.sources) {
        const socket = await bindUdp(host);
        const port = socket.address().port;
        const seeds = allSeeds({ targetHost: this.opts.targetHost, targetPort: this.opts.targetPort, localHost: host, localPort: port,
          user: this.opts.auth?.callees[0] ?? 'fuzz' });
        socket.on('message', (m) => this.onResponse(m));
        this.sources.push({ socket, host, port, seeds });
      }
      if (this.opts.auth) await this.login();
      if (this.opts.transport === 'udp') await this.sendUdp(t0);
      else await this.sendTcp(t0);
      // the last answers
      await sleep(300);
    } finally {
      for (const s of this.sources) s.socket.close();
    }
    this.result.seconds = (Date.now() - t0) / 1000;
    return this.result;
  }

  private onResponse(m: Buffer): void {
    const { status, callId, challenge } = statusAndCallId(m);
    this.result.responses++;
    this.result.byStatus[status] = (this.result.byStatus[status] ?? 0) + 1;
    if (status.startsWith('req:') && !this.result.samples[status]) this.result.samples[status] = m.toString('latin1', 0, Math.min(m.length, 1500));
    const waiter = this.waiting.get(callId);
    if (waiter && challenge) {
      this.waiting.delete(callId);
      waiter(challenge);
    }
  }

  /** A challenge for every fuzz user: a REGISTER without credentials, its 401 (RFC 3261 22.2). */
  private async login(): Promise<void> {
    const auth = this.opts.auth as FuzzAuth;
    const src = this.sources[0];
    for (const u of auth.users) {
      const callId = `fz-login-${u.user}-${this.rng.token(8)}`;
      const got = new Promise<string>((resolve) => this.waiting.set(callId, resolve));
      const msg = this.register(src, u.user, callId, '');
      let challenge = '';
      for (let attempt = 0; attempt < 5 && !challenge; attempt++) {
        src.socket.send(msg, this.opts.targetPort, this.opts.targetHost);
        challenge = await Promise.race([got, sleep(1000).then(() => '')]);
      }
      this.waiting.delete(callId);
      const parsed = parseChallenge(challenge);
      if (!parsed) throw new Error(`no digest challenge for ${u.user} (got ${challenge ? JSON.stringify(challenge) : 'no answer'})`);
      this.clients.set(u.user, new DigestClient(u.user, u.password, parsed));
    }
  }

  private register(src: Source, user: string, callId: string, authorization: string): Buffer {
    const d = this.opts.auth?.domain ?? this.opts.targetHost;
    const uri = `sip:${d}`;
    return Buffer.from([`REGISTER ${uri} SIP/2.0`, `Via: SIP/2.0/UDP ${src.host}:${src.port};branch=z9hG4bK-${this.rng.token(12)};rport`,
      `From: <sip:${user}@${d}>;tag=${this.rng.token(8)}`, `To: <sip:${user}@${d}>`, `Call-ID: ${callId}`, `CSeq: ${1 + this.rng.int(1000)} REGISTER`,
      `Contact: <sip:${user}@${src.host}:${src.port}>`, 'Expires: 60', 'Max-Forwards: 70',
      ...(authorization ? [`Authorization: ${authorization}`] : []), 'Content-Length: 0', '', ''].join('\r\n'));
  }

  /** A clean request from a fuzz user with correct credentials (Authorization for REGISTER, else Proxy-Authorization). */
  private authed(src: Source): Buffer {
    const auth = this.opts.auth as FuzzAuth;
    const u = this.rng.pick(auth.users);
    const client = this.clients.get(u.user) as DigestClient;
    const callId = `fz-${this.rng.token(16)}`;
    const method = this.rng.pick(['REGISTER', 'INVITE', 'INVITE', 'INVITE', 'OPTIONS', 'SUBSCRIBE', 'MESSAGE', 'REFER', 'INFO']);
    if (method === 'REGISTER') return this.register(src, u.user, callId, client.header('REGISTER', `sip:${auth.domain}`));
    const callee = this.rng.chance(0.7) ? this.rng.pick(auth.callees) : this.rng.pick(['*8', '**b0001', '*70', '701', '700', '*97', 'nobody', '']);
    const uri = `sip:${callee}@${auth.domain}:${this.opts.targetPort}`;
    const sdp = method === 'INVITE' ? ['v=0', `o=fz 1 1 IN IP4 ${src.host}`, 's=-', `c=IN IP4 ${src.host}`, 't=0 0', 'm=audio 40000 RTP/AVP 0 8',
      'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n') : '';
    const extra = method === 'SUBSCRIBE' ? ['Event: dialog', `Expires: ${1 + this.rng.int(60)}`, 'Accept: application/dialog-info+xml']
      : method === 'REFER' ? [`Refer-To: <sip:${this.rng.pick(auth.callees)}@${auth.domain}>`] : [];
    return Buffer.from([`${method} ${uri} SIP/2.0`, `Via: SIP/2.0/UDP ${src.host}:${src.port};branch=z9hG4bK-${this.rng.token(12)};rport`,
      `From: <sip:${u.user}@${auth.domain}>;tag=${this.rng.token(8)}`, `To: <sip:${callee}@${auth.domain}>`, `Call-ID: ${callId}`,
      `CSeq: 1 ${method}`, `Contact: <sip:${u.user}@${src.host}:${src.port}>`, 'Max-Forwards: 70', ...extra,
      `Proxy-Authorization: ${client.header(method, uri)}`, ...(sdp ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(sdp)}`, '', sdp].join('\r\n'));
  }

  /** The next message: a seed freshened and mutated, or (with auth) a credentialed request mutated elsewhere. */
  next(src: Source): { msg: Buffer; ops: string[]; name: string } {
    const withAuth = this.opts.auth && this.rng.chance(this.opts.auth.share);
    let out: { msg: Buffer; ops: string[]; name: string };
    if (withAuth) {
      this.result.authed++;
      const clean = this.authed(src);
      const startLine = clean.toString('latin1', 0, clean.indexOf('\r\n'));
      const isProtected = (line: string): boolean => AUTH_LINE(line) || line === startLine;
      // a fifth go through clean: a working call or registration among the junk
      const m = this.rng.chance(0.2) ? { msg: clean, ops: [] } : mutate(this.rng, clean, isProtected);
      out = { ...m, name: 'authed' };
    } else {
      const seed = this.rng.pick(src.seeds);
      out = { ...mutate(this.rng, freshen(seed.text, this.rng)), name: seed.name };
    }
    if (this.opts.loopbackGuard) out.msg = rewriteTopVia(out.msg, `${src.host}:${src.port}`);
    return out;
  }

  private async sendUdp(t0: number): Promise<void> {
    const { count, rate, maxMs, targetHost, targetPort } = this.opts;
    let i = 0;
    while (this.result.sent < count && Date.now() - t0 < maxMs) {
      const due = Math.min(count, Math.floor(((Date.now() - t0) / 1000) * rate) + 1);
      const sends: Array<Promise<void>> = [];
      while (this.result.sent < due) {
        const src = this.sources[i++ % this.sources.length];
        const { msg, ops, name } = this.next(src);
        this.opts.onSend?.(this.result.sent, msg, ops, name);
        this.result.sent++;
        sends.push(new Promise((resolve) => src.socket.send(msg, targetPort, targetHost, (err) => {
          if (err) this.result.sendErrors++;
          resolve();
        })));
      }
      await Promise.all(sends);
      await sleep(5);
    }
  }

  /**
   * Over TCP: a handful of connections, each carrying a run of mutated messages back to
   * back (a lying Content-Length desynchronizes the stream, which is part of the test),
   * then closed.
   */
  private async sendTcp(t0: number): Promise<void> {
    const { count, maxMs, targetHost, targetPort } = this.opts;
    const src = this.sources[0];
    while (this.result.sent < count && Date.now() - t0 < maxMs) {
      const sock = net.connect({ host: targetHost, port: targetPort, localAddress: src.host });
      sock.on('data', (d) => this.onResponse(d));
      const ok = await new Promise<boolean>((resolve) => {
        sock.once('connect', () => resolve(true));
        sock.once('error', () => resolve(false));
      });
      if (!ok) {
        this.result.sendErrors++;
        await sleep(100);
        continue;
      }
      // the server may close on junk: later writes then fail, which is expected
      sock.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
      const tcpSrc = { ...src, port: sock.localPort ?? src.port };
      const batch = Math.min(count - this.result.sent, 1 + this.rng.int(50));
      for (let k = 0; k < batch; k++) {
        const { msg, ops, name } = this.next(tcpSrc);
        const wire = Buffer.from(msg.toString('latin1').replace('SIP/2.0/UDP', 'SIP/2.0/TCP'), 'latin1');
        this.opts.onSend?.(this.result.sent, wire, ops, name);
        this.result.sent++;
        if (sock.destroyed) break;
        if (!sock.write(wire)) await Promise.race([new Promise((r) => sock.once('drain', r)), closed]);
      }
      sock.end();
      await Promise.race([closed, sleep(500)]);
      sock.destroy();
      await sleep(1000 / Math.max(1, this.opts.rate / 20));
    }
  }
}
