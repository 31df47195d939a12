import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import type Srf from 'drachtio-srf';
import { startEngine, type EngineProcess } from '../../support/engine-process';
import { connectSrf, disconnectSrf, handlers } from '../../support/srf-app';

/** Garbage, truncated and oversized input: counted, never fatal, nothing left behind. */
describe('engine: malformed input', function () {
  this.timeout(20000);
  let engine: EngineProcess;
  let srf: Srf;
  let sock: dgram.Socket;

  before(async () => {
    engine = await startEngine({ extraArgs: ['--max-message', '4096', '--tcp-stall-ms', '300'] });
    srf = await connectSrf(engine, (s) => handlers(s).options((_req, res) => res.send(200)));
    sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  });

  after(async () => {
    sock?.close();
    if (srf) disconnectSrf(srf);
    await engine?.stop();
  });

  function options(n: number, transportPort: number, proto = 'UDP'): string {
    return [`OPTIONS sip:x@127.0.0.1 SIP/2.0`, `Via: SIP/2.0/${proto} 127.0.0.1:${transportPort};branch=z9hG4bK-m${n}-${Date.now()}`,
      'Max-Forwards: 70', 'From: <sip:t@127.0.0.1>;tag=m', 'To: <sip:x@127.0.0.1>', `Call-ID: malformed-${n}-${Date.now()}`,
      `CSeq: ${n} OPTIONS`, 'Content-Length: 0', '', ''].join('\r\n');
  }

  /** Send and wait for the response with the same Call-ID (truncated requests get their 400s too). */
  function ask(msg: string): Promise<string> {
    const callId = /Call-ID: (\S+)/.exec(msg)?.[1] ?? '';
    return new Promise((resolve, reject) => {
      const onMessage = (m: Buffer): void => {
        const text = m.toString();
        if (!text.includes(`Call-ID: ${callId}`)) return;
        clearTimeout(t);
        sock.off('message', onMessage);
        resolve(text);
      };
      const t = setTimeout(() => {
        sock.off('message', onMessage);
        reject(new Error('no answer'));
      }, 3000);
      sock.on('message', onMessage);
      sock.send(msg, engine.sipPort, '127.0.0.1');
    });
  }

  it('survives random garbage, truncated messages and oversized datagrams, and still answers', async () => {
    const before = await engine.stats();
    const valid = Buffer.from(options(1, sock.address().port));
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.alloc(1 + Math.floor(Math.random() * 1500));
      for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(Math.random() * 256);
      sock.send(junk, engine.sipPort, '127.0.0.1');
      sock.send(valid.subarray(0, Math.floor(Math.random() * valid.length)), engine.sipPort, '127.0.0.1');
    }
    sock.send(Buffer.alloc(8000, 0x41), engine.sipPort, '127.0.0.1');
    const answer = await ask(options(2, sock.address().port));
    assert.match(answer, /^SIP\/2.0 200 /);
    const after = await engine.stats();
    assert.ok(after.parseErrors - before.parseErrors >= 200, 'the bad datagrams were counted');
    assert.ok(after.badInput > before.badInput, 'the oversized datagram was counted');
    await engine.waitIdle();
  });

  it('closes a TCP connection that sends half a message and stalls, and keeps serving', async () => {
    const c = net.connect(engine.sipPort, '127.0.0.1');
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.on('error', () => undefined);
    c.write(options(3, c.localPort ?? 0, 'TCP').slice(0, 60));
    await closed;
    const answer = await ask(options(4, sock.address().port));
    assert.match(answer, /^SIP\/2.0 200 /);
  });

  it('closes a TCP connection whose framing is lost (bad Content-Length)', async () => {
    const c = net.connect(engine.sipPort, '127.0.0.1');
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.on('error', () => undefined);
    c.write(options(5, c.localPort ?? 0, 'TCP').replace('Content-Length: 0', 'Content-Length: -5'));
    await closed;
    assert.equal((await engine.stats()).tcpConnections, 0);
  });

  it('answers a request over TCP on the same connection', async () => {
    const c = net.connect(engine.sipPort, '127.0.0.1');
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    const data = new Promise<string>((resolve) => c.once('data', (d) => resolve(d.toString())));
    c.write(options(6, c.localPort ?? 0, 'TCP'));
    assert.match(await data, /^SIP\/2.0 200 /);
    c.destroy();
    await engine.waitIdle();
  });

  it('answers 513 to a datagram over the size bound whose head can be read (RFC 3261 21.5.7)', async () => {
    const msg = options(8, sock.address().port).replace('Content-Length: 0\r\n\r\n', `Content-Type: text/plain\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`);
    const answer = await ask(msg);
    assert.match(answer, /^SIP\/2.0 513 /);
    assert.match(answer, /\r\nCSeq: 8 OPTIONS\r\n/);
    await engine.waitIdle();
  });

  it('answers 513 over TCP to a message over the size bound whose head was read, then closes the connection', async () => {
    const c = net.connect(engine.sipPort, '127.0.0.1');
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    let text = '';
    c.on('data', (d) => (text += d.toString()));
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.on('error', () => undefined);
    // the head says 6000 octets of body follow: past the 4096 bound before any of it arrives
    c.write(options(9, c.localPort ?? 0, 'TCP').replace('Content-Length: 0', 'Content-Length: 6000'));
    await closed;
    assert.match(text, /^SIP\/2.0 513 /);
    assert.match(text, /\r\nCSeq: 9 OPTIONS\r\n/);
    await engine.waitIdle();
  });

  it('answers 400 to a request whose From has a long run of whitespace, with its From tag', async () => {
    // the header is refused (drachtio-srf's From parser is cubic on it), but the request
    // still gets its 400 (RFC 3261 8.2.6.2), built with the From as read
    const msg = options(7, sock.address().port).replace('From: <sip:t@127.0.0.1>;tag=m', `From: <${' '.repeat(1000)}sip:t@127.0.0.1>;tag=ws7`);
    const answer = await ask(msg);
    assert.match(answer, /^SIP\/2.0 400 /);
    assert.match(answer, /\r\nFrom: < sip:t@127.0.0.1>;tag=ws7\r\n/);
    assert.match(answer, /\r\nCSeq: 7 OPTIONS\r\n/);
    await engine.waitIdle();
  });

  it('refuses an application with the wrong secret and closes its connection', async () => {
    const c = net.connect(engine.adminPort, '127.0.0.1');
    const body = 'a1|authenticate|wrong|';
    const reply = new Promise<string>((resolve) => {
      let acc = '';
      c.on('data', (d) => (acc += d.toString()));
      c.once('close', () => resolve(acc));
    });
    c.write(`${Buffer.byteLength(body)}#${body}`);
    assert.match(await reply, /\|response\|a1\|NO\|incorrect secret$/);
  });
});
