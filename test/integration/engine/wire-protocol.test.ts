import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import type Srf from 'drachtio-srf';
import { handlers } from '../../support/srf-app';
import { deferred, engineFixture, flow, SDP } from './fixture';
import { answerInvite } from '../../../lib/calls/answer';

/** A raw drachtio-protocol client: frames `<len>#<payload>` and waits for replies by id. */
class WireClient {
  private readonly sock: net.Socket;
  private buf = '';
  private readonly frames: string[] = [];
  private readonly waiters: Array<() => void> = [];

  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.on('data', (d) => {
      this.buf += d.toString();
      for (;;) {
        const hash = this.buf.indexOf('#');
        if (hash === -1) break;
        const len = Number(this.buf.slice(0, hash));
        if (Buffer.byteLength(this.buf.slice(hash + 1)) < len) break;
        const payload = Buffer.from(this.buf.slice(hash + 1)).subarray(0, len).toString();
        this.buf = this.buf.slice(hash + 1 + payload.length);
        this.frames.push(payload);
        for (const w of this.waiters.splice(0)) w();
      }
    });
  }

  async call(id: string, body: string): Promise<string> {
    const payload = `${id}|${body}`;
    this.sock.write(`${Buffer.byteLength(payload)}#${payload}`);
    for (;;) {
      const hit = this.frames.find((f) => f.split('|')[2] === id);
      if (hit) return hit.split('|').slice(3).join('|');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

describe('engine: drachtio wire protocol', function () {
  this.timeout(20000);
  const fx = engineFixture();

  it('authenticates, routes (even unknown verbs), pongs, and refuses bad app messages as drachtio does', async () => {
    const c = new WireClient(fx.engine().adminPort);
    try {
      const auth = await c.call('a1', `authenticate|${fx.engine().secret}|`);
      assert.match(auth, /^OK\|tcp\/127\.0\.0\.1:\d+,udp\/127\.0\.0\.1:\d+\|v0\.9\.\d+/);
      assert.equal(await c.call('a2', 'route|invite'), 'OK');
      assert.equal(await c.call('a3', 'route|frobnicate'), 'OK');
      assert.equal(await c.call('a4', 'ping'), 'OK|pong');
      assert.equal(await c.call('a5', 'sip|00000000-0000-0000-0000-000000000000|\r\nSIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'),
        'NOK|Response not sent due to unknown transaction');
      assert.equal(await c.call('a6', 'sip||nosuchcall;from-tag=nosuchtag\r\nBYE sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n'),
        'NOK|Server error: unable to find dialog for dialog id provided');
      assert.match(await c.call('a7', 'sip||\r\nTHIS IS NOT SIP\r\n\r\n'), /^NOK\|invalid request-uri/);
    } finally {
      c.close();
    }
  });

  it('answers methods nobody routed: 501 when unknown, 405 with Allow when known', async () => {
    await fx.app((srf) => srf.invite((_req, res) => res.send(486)));
    const r = await fx.uac({ scenario: 'uac-options.xml', service: 'svc' });
    assert.equal(r.code, 1, 'OPTIONS is not answered 200');
    const res = r.events.find((e) => e.dir === 'received');
    assert.equal(res?.status, 405);
    assert.match(res?.message ?? '', /\r\nAllow: [^\r]*INVITE/);
  });

  it('sends each request to a connection that routed its method, and in-dialog requests to the dialog\'s owner', async () => {
    const invites: string[] = [];
    const byes: string[] = [];
    const setup = (name: string) => (srf: Srf): void => srf.invite(async (req, res) => {
      invites.push(name);
      await answerInvite(srf, req, res, SDP, (d) => d.on('destroy', () => byes.push(name)));
    });
    await fx.app(setup('one'));
    await fx.app(setup('two'));
    let options = 0;
    await fx.app((srf) => handlers(srf).options((_req, res) => {
      options++;
      res.send(200);
    }));
    const r = await fx.uac({ scenario: 'uac.xml', service: 'svc', calls: 4, rate: 20, durationMs: 20 });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual([...new Set(invites)].sort(), ['one', 'two'], 'calls spread over both apps');
    assert.deepEqual([...byes].sort(), [...invites].sort(), 'each BYE reached the app that owns the dialog');
    const o = await fx.uac({ scenario: 'uac-options.xml', service: 'svc' });
    assert.equal(o.code, 0);
    assert.equal(options, 1);
  });

  it('emits cdr:attempt, cdr:start and cdr:stop to apps that asked for them', async () => {
    const events: string[] = [];
    const stopped = deferred();
    await fx.app((srf) => {
      srf.invite(async (req, res) => {
        await answerInvite(srf, req, res, SDP, (d) => d.on('destroy', () => undefined));
      });
      const on = srf.on.bind(srf) as unknown as (e: string, f: (...a: unknown[]) => void) => void;
      on('cdr:attempt', (source) => events.push(`attempt ${String(source)}`));
      on('cdr:start', (source, _time, role) => events.push(`start ${String(source)} ${String(role)}`));
      on('cdr:stop', (source, _time, reason) => {
        events.push(`stop ${String(source)} ${String(reason)}`);
        stopped.resolve();
      });
    });
    const r = await fx.uac({ scenario: 'uac.xml', service: 'svc' });
    assert.equal(r.code, 0, r.errors);
    await stopped.promise;
    assert.deepEqual(events, ['attempt network', 'start application uas', 'stop network normal-release']);
    assert.deepEqual(flow(r.events).slice(-2), ['> BYE', '< 200']);
  });

  it('answers a merged request (same Call-ID, From tag and CSeq, another branch) with 482 (RFC 3261 8.2.2.2)', async () => {
    const ringing = deferred();
    await fx.app((srf) => srf.invite((req, res) => {
      res.send(180);
      ringing.resolve();
      req.on('cancel', () => undefined);
    }));
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const port = sock.address().port;
    const invite = (branch: string): string => [
      `INVITE sip:svc@127.0.0.1:${fx.engine().sipPort} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch}`, 'Max-Forwards: 70',
      `From: <sip:a@127.0.0.1>;tag=loop1`, 'To: <sip:svc@127.0.0.1>', 'Call-ID: merged-1@127.0.0.1', 'CSeq: 1 INVITE',
      `Contact: <sip:a@127.0.0.1:${port}>`, 'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(SDP)}`, '', SDP,
    ].join('\r\n');
    const finals: string[] = [];
    const got482 = deferred();
    sock.on('message', (m) => {
      const line = m.toString().split('\r\n')[0];
      if (!/ 1\d\d /.test(line)) finals.push(`${/branch=([^;\r]+)/.exec(m.toString())?.[1]} ${line}`);
      if (line.includes(' 482 ')) got482.resolve();
    });
    try {
      sock.send(invite('z9hG4bK-first'), fx.engine().sipPort, '127.0.0.1');
      await ringing.promise;
      sock.send(invite('z9hG4bK-second'), fx.engine().sipPort, '127.0.0.1');
      await got482.promise;
      assert.deepEqual(finals, ['z9hG4bK-second SIP/2.0 482 Loop Detected']);
      // end the first INVITE cleanly: CANCEL it
      sock.send(invite('z9hG4bK-first').replace(/^INVITE/, 'CANCEL').replace('CSeq: 1 INVITE', 'CSeq: 1 CANCEL').replace(/Content-Type[\s\S]*$/, 'Content-Length: 0\r\n\r\n'), fx.engine().sipPort, '127.0.0.1');
      await fx.engine().waitIdle();
    } finally {
      sock.close();
    }
  });

  it('runs alone as the sip-engine command, with --help', () => {
    const bin = path.resolve(__dirname, '../../../../bin/sip-engine.js');
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--sip-port/);
    const bad = spawnSync(process.execPath, [bin, '--sip-port', 'x', '--secret', 's'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--sip-port must be/);
  });
});
