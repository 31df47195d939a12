import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import type Srf from 'drachtio-srf';
import { startEngine, type EngineProcess } from '../../support/engine-process';
import { connectSrf, disconnectSrf, handlers } from '../../support/srf-app';

/**
 * The engine's bounds against hostile peers (issue #13), driven from raw sockets with a
 * real drachtio-srf application connected: requests an app never answers, requests the
 * app could not parse, challenge retransmissions, the per-source rate limit, the cap on
 * transactions and the TCP connection limits.
 */

let seq = 0;
function request(method: string, port: number, opts: { uri?: string; proto?: string; callId?: string } = {}): string {
  const n = ++seq;
  return [`${method} ${opts.uri ?? 'sip:x@127.0.0.1'} SIP/2.0`, `Via: SIP/2.0/${opts.proto ?? 'UDP'} 127.0.0.1:${port};branch=z9hG4bK-lim${n}-${Date.now()}`,
    'Max-Forwards: 70', 'From: <sip:t@127.0.0.1>;tag=lim', 'To: <sip:x@127.0.0.1>', `Call-ID: ${opts.callId ?? `limits-${n}-${Date.now()}`}`,
    `CSeq: 1 ${method}`, `Contact: <sip:t@127.0.0.1:${port}>`, 'Content-Length: 0', '', ''].join('\r\n');
}

/** A UDP peer that records every message it gets, by Call-ID. */
class RawPeer {
  readonly got: string[] = [];
  private constructor(readonly sock: dgram.Socket) {
    sock.on('message', (m) => this.got.push(m.toString()));
  }

  static async open(): Promise<RawPeer> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    return new RawPeer(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  send(text: string, port: number): void {
    this.sock.send(text, port, '127.0.0.1');
  }

  of(callId: string): string[] {
    return this.got.filter((m) => m.includes(`Call-ID: ${callId}\r\n`));
  }

  /** until a final response (>= 200) for this Call-ID arrives */
  async final(callId: string, timeoutMs: number): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const f = this.of(callId).find((m) => /^SIP\/2\.0 [2-6]\d\d /.test(m));
      if (f) return f;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no final response for ${callId} within ${timeoutMs} ms; got ${JSON.stringify(this.of(callId))}`);
  }

  close(): void {
    this.sock.close();
  }
}

describe('engine limits: requests an app never answers, or could not parse', function () {
  this.timeout(30000);
  let engine: EngineProcess;
  let srf: Srf;
  let peer: RawPeer;
  const seen: string[] = [];

  before(async () => {
    engine = await startEngine({ extraArgs: ['--app-timeout-ms', '1500', '--invite-timeout-ms', '2500'] });
    // an app that takes every request and answers none
    srf = await connectSrf(engine, (s) => {
      handlers(s).options((req) => seen.push(req.get('Call-ID')));
      handlers(s).invite((req, res) => {
        seen.push(req.get('Call-ID'));
        if (req.get('Call-ID').startsWith('ringing-')) setTimeout(() => res.send(180), 1500);
      });
    });
    peer = await RawPeer.open();
  });

  after(async () => {
    peer?.close();
    if (srf) disconnectSrf(srf);
    await engine?.stop();
  });

  it('answers a non-INVITE the app leaves unanswered with 500, and the transaction ends', async () => {
    const callId = `ignored-options-${Date.now()}`;
    peer.send(request('OPTIONS', peer.port, { callId }), engine.sipPort);
    const res = await peer.final(callId, 10000);
    assert.match(res, /^SIP\/2\.0 500 /);
    assert.ok(seen.includes(callId), 'the app was given the request');
    assert.ok((await engine.stats()).appTimeouts >= 1);
    await engine.waitIdle(5000);
  });

  it('answers an INVITE the app leaves without a final with 408, and the transaction ends', async () => {
    const callId = `ignored-invite-${Date.now()}`;
    peer.send(request('INVITE', peer.port, { callId }), engine.sipPort);
    const res = await peer.final(callId, 10000);
    assert.match(res, /^SIP\/2\.0 408 /);
    assert.ok(peer.of(callId).some((m) => m.startsWith('SIP/2.0 100 ')), '100 Trying came first');
    await engine.waitIdle(5000);
  });

  it('starts the INVITE deadline over on each provisional the app sends (as Timer C, RFC 3261 16.7)', async () => {
    const callId = `ringing-${Date.now()}`;
    const start = Date.now();
    peer.send(request('INVITE', peer.port, { callId }), engine.sipPort);
    const res = await peer.final(callId, 15000);
    assert.match(res, /^SIP\/2\.0 408 /);
    assert.ok(peer.of(callId).some((m) => m.startsWith('SIP/2.0 180 ')));
    // 180 at 1.5 s, then 2.5 s more: never before 4 s (a busy machine only makes it later)
    assert.ok(Date.now() - start >= 3900, `408 after ${Date.now() - start} ms`);
    await engine.waitIdle(5000);
  });

  it('refuses with 400 a request whose Request-URI drachtio-srf cannot parse (a TAB), never handing it on', async () => {
    for (const c of ['\t', '\u00a0']) {
      const callId = `tab-uri-${c.charCodeAt(0)}-${Date.now()}`;
      peer.send(request('INVITE', peer.port, { callId, uri: `sip:x${c}y@127.0.0.1` }), engine.sipPort);
      const res = await peer.final(callId, 5000);
      assert.match(res, /^SIP\/2\.0 400 /);
      assert.ok(!seen.includes(callId), 'the app never saw it');
    }
    await engine.waitIdle(5000);
  });

  it('answers 400 to a request with a header line over the per-header bound, over UDP and TCP, never handing it on', async () => {
    // the line is over 8,192 octets but the message within 65,535: a 400 that names the line, not silence
    const long = `X-Long: ${'x'.repeat(9000)}\r\n`;
    const callId = `long-header-${Date.now()}`;
    peer.send(request('OPTIONS', peer.port, { callId }).replace('Max-Forwards: 70\r\n', `Max-Forwards: 70\r\n${long}`), engine.sipPort);
    const res = await peer.final(callId, 5000);
    assert.match(res, /^SIP\/2\.0 400 Bad Request - header line \d+ too long\r\n/);
    const c = net.connect(engine.sipPort, '127.0.0.1');
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    const tcpId = `long-header-tcp-${Date.now()}`;
    const answer = new Promise<string>((resolve) => c.once('data', (d) => resolve(d.toString())));
    c.write(request('OPTIONS', c.localPort ?? 0, { callId: tcpId, proto: 'TCP' }).replace('Max-Forwards: 70\r\n', `Max-Forwards: 70\r\n${long}`));
    assert.match(await answer, /^SIP\/2\.0 400 /);
    c.destroy();
    assert.ok(!seen.includes(callId) && !seen.includes(tcpId), 'the app never saw them');
    await engine.waitIdle(5000);
  });
});

describe('engine limits: challenges over UDP are retransmitted only briefly', function () {
  this.timeout(30000);
  let engine: EngineProcess;
  let srf: Srf;
  let peer: RawPeer;

  before(async () => {
    // RFC 3261 default timers: Timer H would be 64*T1 = 32 s
    engine = await startEngine({ t1: 500, t2: 4000, t4: 5000 });
    srf = await connectSrf(engine, (s) => handlers(s).invite((_req, res) => res.send(407, { headers: { 'Proxy-Authenticate': 'Digest realm="x", nonce="y"' } })));
    peer = await RawPeer.open();
  });

  after(async () => {
    peer?.close();
    if (srf) disconnectSrf(srf);
    await engine?.stop();
  });

  it('stops retransmitting an unACKed 407 after about 4 s (3 retransmissions), not 32 s', async () => {
    const callId = `challenge-${Date.now()}`;
    peer.send(request('INVITE', peer.port, { callId }), engine.sipPort);
    await peer.final(callId, 5000);
    // the transaction ends at Timer H; then no copy may come any more
    await engine.waitDrained(12000);
    const copies = peer.of(callId).filter((m) => m.startsWith('SIP/2.0 407 ')).length;
    await new Promise((r) => setTimeout(r, 4500)); // Timer G would have fired at 7.5 s without the cut
    const later = peer.of(callId).filter((m) => m.startsWith('SIP/2.0 407 ')).length;
    assert.equal(later, copies, 'no retransmission after the transaction ended');
    assert.ok(copies >= 2 && copies <= 4, `the 407 was sent ${copies} times (first + at most 3 retransmissions)`);
  });
});

describe('engine limits: per-source rate limit and transaction cap', function () {
  this.timeout(30000);

  it('drops new requests over the rate silently, counts them, and still absorbs retransmissions', async () => {
    const engine = await startEngine({ extraArgs: ['--rate-limit', '2', '--rate-burst', '10'] });
    const srf = await connectSrf(engine, (s) => handlers(s).options((_req, res) => res.send(200)));
    const peer = await RawPeer.open();
    try {
      const ids = Array.from({ length: 60 }, (_v, i) => `rate-${i}-${Date.now()}`);
      const sent = new Map(ids.map((callId) => [callId, request('OPTIONS', peer.port, { callId })]));
      for (const callId of ids) peer.send(sent.get(callId) ?? '', engine.sipPort);
      await new Promise((r) => setTimeout(r, 1500));
      const answered = ids.filter((id) => peer.of(id).length > 0).length;
      // burst 10, plus 2/s over the time it took to send and settle
      assert.ok(answered >= 10 && answered <= 25, `${answered} of 60 answered`);
      const stats = await engine.stats();
      assert.ok(stats.rateLimited >= 35, `rateLimited ${stats.rateLimited}`);
      // with the bucket empty, a retransmission of an answered request still gets its 200
      for (let i = 0; i < 10; i++) peer.send(request('OPTIONS', peer.port), engine.sipPort);
      const first = ids.find((id) => peer.of(id).length > 0) ?? '';
      peer.send(sent.get(first) ?? '', engine.sipPort);
      const end = Date.now() + 3000;
      while (peer.of(first).length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      assert.equal(peer.of(first).length, 2, 'the retransmission was answered from its transaction');
      assert.equal(peer.got.filter((m) => !m.startsWith('SIP/2.0 200 ')).length, 0, 'nothing but the 200s was sent back');
    } finally {
      peer.close();
      disconnectSrf(srf);
      await engine.stop();
    }
  });

  it('drops a UDP flood before parsing once a source is past five times its request budget', async () => {
    const engine = await startEngine({ extraArgs: ['--rate-limit', '2', '--rate-burst', '10'] });
    const peer = await RawPeer.open();
    try {
      // unparseable datagrams: without the pre-parse budget every one is parsed (parseErrors)
      for (let i = 0; i < 300; i++) peer.send(`garbage ${i} ${'x'.repeat(200)}\r\n\r\n`, engine.sipPort);
      const end = Date.now() + 5000;
      let stats = await engine.stats();
      while (stats.parseErrors + stats.rateLimited < 300 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
        stats = await engine.stats();
      }
      // a budget of 5 x burst 10 = 50 at once, refilled at 5 x 2/s while the datagrams arrive
      assert.ok(stats.parseErrors <= 80, `parsed ${stats.parseErrors} of 300`);
      assert.ok(stats.rateLimited >= 220, `dropped before parsing ${stats.rateLimited}`);
    } finally {
      peer.close();
      await engine.stop();
    }
  });

  it('exempts trusted sources', async () => {
    const engine = await startEngine({ extraArgs: ['--rate-limit', '5', '--rate-burst', '5', '--trusted-sources', '127.0.0.1'] });
    const srf = await connectSrf(engine, (s) => handlers(s).options((_req, res) => res.send(200)));
    const peer = await RawPeer.open();
    try {
      const ids = Array.from({ length: 40 }, (_v, i) => `trusted-${i}-${Date.now()}`);
      for (const callId of ids) peer.send(request('OPTIONS', peer.port, { callId }), engine.sipPort);
      for (const id of ids) await peer.final(id, 5000);
      assert.equal((await engine.stats()).rateLimited, 0);
    } finally {
      peer.close();
      disconnectSrf(srf);
      await engine.stop();
    }
  });

  it('answers 503 statelessly once the server transaction table is full', async () => {
    const engine = await startEngine({ extraArgs: ['--max-transactions', '5', '--app-timeout-ms', '60000'] });
    const srf = await connectSrf(engine, (s) => handlers(s).options(() => undefined));
    const peer = await RawPeer.open();
    try {
      const ids = Array.from({ length: 5 }, (_v, i) => `cap-${i}-${Date.now()}`);
      for (const callId of ids) peer.send(request('OPTIONS', peer.port, { callId }), engine.sipPort);
      const end = Date.now() + 5000;
      while ((await engine.stats()).serverTransactions < 5 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const callId = `cap-over-${Date.now()}`;
      peer.send(request('OPTIONS', peer.port, { callId }), engine.sipPort);
      assert.match(await peer.final(callId, 5000), /^SIP\/2\.0 503 /);
      assert.equal((await engine.stats()).overloaded, 1);
      assert.equal((await engine.stats()).serverTransactions, 5, 'the 503 held no transaction');
    } finally {
      peer.close();
      disconnectSrf(srf);
      await engine.stop();
    }
  });
});

describe('engine limits: octets held by server transactions', function () {
  this.timeout(30000);

  it('answers 503 statelessly once the requests live transactions hold would pass the octet bound', async () => {
    const engine = await startEngine({ extraArgs: ['--max-transaction-bytes', '6000', '--app-timeout-ms', '60000'] });
    const srf = await connectSrf(engine, (s) => handlers(s).options(() => undefined));
    const peer = await RawPeer.open();
    try {
      // each about 2.3 KB: two fit in 6,000 octets, the third does not
      const big = (callId: string): string => request('OPTIONS', peer.port, { callId }).replace('Max-Forwards: 70\r\n', `Max-Forwards: 70\r\nX-Pad: ${'p'.repeat(2000)}\r\n`);
      const ids = [0, 1].map((i) => `bytes-${i}-${Date.now()}`);
      for (const callId of ids) peer.send(big(callId), engine.sipPort);
      const end = Date.now() + 5000;
      while ((await engine.stats()).serverTransactions < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const stats = await engine.stats();
      assert.ok(stats.serverTransactionBytes > 4000 && stats.serverTransactionBytes <= 6000, String(stats.serverTransactionBytes));
      const over = `bytes-over-${Date.now()}`;
      peer.send(big(over), engine.sipPort);
      assert.match(await peer.final(over, 5000), /^SIP\/2\.0 503 /);
      assert.equal((await engine.stats()).serverTransactions, 2, 'the 503 held no transaction');
    } finally {
      peer.close();
      disconnectSrf(srf);
      await engine.stop();
    }
  });
});

describe('engine limits: TCP connections', function () {
  this.timeout(30000);
  let engine: EngineProcess;

  before(async () => {
    engine = await startEngine({ extraArgs: ['--tcp-max-per-source', '3', '--tcp-first-message-ms', '500', '--tcp-idle-ms', '1000'] });
  });

  after(async () => {
    await engine?.stop();
  });

  function open(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const c = net.connect(engine.sipPort, '127.0.0.1');
      c.on('error', () => undefined);
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    });
  }

  const closed = (c: net.Socket): Promise<number> => {
    const start = Date.now();
    return new Promise((resolve) => (c.destroyed ? resolve(0) : c.once('close', () => resolve(Date.now() - start))));
  };

  it('closes a connection over the per-source limit at once', async () => {
    const kept = [await open(), await open(), await open()];
    const extra = await open();
    await closed(extra);
    assert.equal((await engine.stats()).tcpRefused >= 1, true);
    for (const c of kept) c.destroy();
    const end = Date.now() + 5000;
    while ((await engine.stats()).tcpConnections > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  });

  it('closes a new connection that sends no complete message in time', async () => {
    const c = await open();
    const gone = closed(c);
    // a start, then an octet every 200 ms: never idle, and the stall bound (10 s) is far
    c.write('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n');
    const drip = setInterval(() => c.write('X'), 200);
    const ms = await gone;
    clearInterval(drip);
    assert.ok(ms < 5000, `closed after ${ms} ms`);
  });

  it('closes an idle connection after the idle time; CRLF keep-alives keep it open', async () => {
    const c = await open();
    const isClosed = closed(c);
    let state = 'open';
    void isClosed.then(() => (state = 'closed'));
    const data = new Promise<string>((resolve) => c.once('data', (d) => resolve(d.toString())));
    c.write(request('OPTIONS', c.localPort ?? 0, { proto: 'TCP' }));
    assert.match(await data, /^SIP\/2\.0 (405|503) /);
    // keep-alives every 300 ms for 2.5 s (idle time 1 s): still open
    for (let i = 0; i < 8; i++) {
      c.write('\r\n\r\n');
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(state, 'open', 'keep-alives count as traffic (RFC 5626 4.4.1)');
    const ms = await isClosed;
    assert.ok(ms >= 1000, 'closed once idle');
  });
});
