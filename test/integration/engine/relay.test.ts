import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { EngineStartOptions } from '../../support/engine-process';
import { handlers } from '../../support/srf-app';
import { engineFixture } from './fixture';
import { fakeTcpService, request, responseTo, tcpPeer, udpPeer, type FakeService, type SipText, type UdpPeer } from './relay-sockets';

/**
 * Issue #13 item 1: the engine forwards only what an app asked it to proxy and the
 * in-dialog requests of dialogs it record-routed itself, never to its own ports or the
 * services on its deny list, and checks Max-Forwards. Attackers and targets are raw
 * loopback sockets, so every byte the engine sends is seen.
 */
describe('engine: not an open relay (issue #13)', function () {
  this.timeout(30000);
  const opts: EngineStartOptions = {};
  let redis: FakeService;
  let other: FakeService;
  before(async () => {
    redis = await fakeTcpService();
    other = await fakeTcpService();
    // spelled `localhost`: the engine must match it against every loopback spelling
    opts.extraArgs = ['--deny-destinations', `localhost:${redis.port}`];
  });
  after(async () => {
    await redis.close();
    await other.close();
  });
  const fx = engineFixture(opts);
  const peers: UdpPeer[] = [];
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.close();
  });

  const enginePort = (): number => fx.engine().sipPort;
  const ourRoute = (): string => `<sip:127.0.0.1:${enginePort()};lr>`;
  async function peer(): Promise<UdpPeer> {
    const p = await udpPeer();
    peers.push(p);
    return p;
  }
  const final = (m: SipText): boolean => m.status !== undefined && m.status >= 200;
  /**
   * Absence cannot be awaited: once the engine has answered, a forward it was going to
   * make would already be on the loopback; this margin covers a busy machine.
   */
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 400));

  /** A dialog the engine really record-routed: an app proxies the INVITE with recordRoute. */
  async function proxiedDialog(): Promise<{ caller: UdpPeer; callee: UdpPeer; callId: string; rr: string; calleeUri: string; toTag: string }> {
    const caller = await peer();
    const callee = await peer();
    const calleeUri = `sip:bob@127.0.0.1:${callee.port}`;
    await fx.app((srf) => srf.invite((req) => {
      (srf.proxyRequest as unknown as (q: Srf.SrfRequest, d: string[], o: object) => Promise<unknown>)
        .call(srf, req, [calleeUri], { recordRoute: true }).catch(() => undefined);
    }));
    const callId = crypto.randomBytes(8).toString('hex');
    caller.send(request({ method: 'INVITE', uri: `sip:bob@127.0.0.1:${enginePort()}`, callId, localPort: caller.port,
      contact: `<sip:alice@127.0.0.1:${caller.port}>` }), enginePort());
    const invite = await callee.inbox.wait((m) => m.method === 'INVITE', 'INVITE at the callee');
    const toTag = 'callee1';
    callee.send(responseTo(invite, 200, 'OK', toTag, `<${calleeUri}>`), enginePort());
    const ok = await caller.inbox.wait((m) => m.status === 200, '200 at the caller');
    const rr = ok.header('record-route') ?? '';
    assert.match(rr, /;rrt=[A-Za-z0-9_-]{16}/, 'our Record-Route carries a token');
    caller.send(request({ method: 'ACK', uri: calleeUri, callId, toTag, cseq: 1, routes: [rr], localPort: caller.port }), enginePort());
    await callee.inbox.wait((m) => m.method === 'ACK', 'ACK at the callee');
    return { caller, callee, callId, rr, calleeUri, toTag };
  }

  describe('in-dialog requests with a Route naming the engine and no token of ours', () => {
    for (const method of ['MESSAGE', 'BYE', 'NOTIFY', 'OPTIONS', 'INFO', 'REFER']) {
      it(`${method} over UDP: 403 to the sender, nothing to the target`, async () => {
        const attacker = await peer();
        const target = await peer();
        attacker.send(request({ method, uri: `sip:victim@127.0.0.1:${target.port}`, toTag: 'forged', routes: [ourRoute()],
          localPort: attacker.port, body: method === 'MESSAGE' ? 'hello' : undefined }), enginePort());
        const res = await attacker.inbox.wait(final, `final response to ${method}`);
        assert.equal(res.status, 403);
        await settle();
        assert.deepEqual(target.inbox.messages.map((m) => m.firstLine), [], `${method} relayed`);
      });
    }

    it('ACK: nothing to the target and nothing back', async () => {
      const attacker = await peer();
      const target = await peer();
      attacker.send(request({ method: 'ACK', uri: `sip:victim@127.0.0.1:${target.port}`, toTag: 'forged', routes: [ourRoute()],
        localPort: attacker.port }), enginePort());
      // a request after it, answered, marks that the engine has handled the ACK (one socket, in order)
      attacker.send(request({ method: 'OPTIONS', uri: `sip:victim@127.0.0.1:${target.port}`, toTag: 'forged', routes: [ourRoute()],
        localPort: attacker.port }), enginePort());
      await attacker.inbox.wait(final, 'final response to the OPTIONS');
      await settle();
      assert.deepEqual(target.inbox.messages.map((m) => m.firstLine), [], 'ACK relayed');
      assert.deepEqual(attacker.inbox.messages.map((m) => m.status), [403], 'only the OPTIONS is answered');
    });

    for (const [name, svc] of [['a TCP listener', (): FakeService => other], ['the denied "redis"', (): FakeService => redis]] as const) {
      it(`MESSAGE over TCP toward ${name}: 403, no connection, no bytes`, async () => {
        const attacker = await tcpPeer(enginePort());
        try {
          attacker.send(request({ method: 'MESSAGE', uri: `sip:redis@127.0.0.1:${svc().port};transport=tcp`, toTag: 'forged',
            routes: [`<sip:127.0.0.1:${enginePort()};lr;transport=tcp>`], transport: 'TCP', localPort: attacker.port,
            body: 'FLUSHALL\r\nCONFIG SET dir /tmp\r\n' }));
          const res = await attacker.inbox.wait(final, 'final response to the MESSAGE');
          assert.equal(res.status, 403);
          await settle();
          assert.equal(svc().connections, 0, 'the engine connected to the service');
          assert.equal(svc().bytes, 0);
        } finally {
          attacker.close();
        }
      });
    }

    it('an in-dialog request naming no route of ours for no dialog we know: 481, nothing forwarded', async () => {
      const attacker = await peer();
      const target = await peer();
      attacker.send(request({ method: 'MESSAGE', uri: `sip:victim@127.0.0.1:${target.port}`, toTag: 'forged',
        routes: [`<sip:127.0.0.1:${target.port};lr>`], localPort: attacker.port }), enginePort());
      assert.equal((await attacker.inbox.wait(final, 'final response')).status, 481);
      await settle();
      assert.equal(target.inbox.messages.length, 0);
    });
  });

  describe('a dialog the engine record-routed', () => {
    it('still relays its BYE, with Max-Forwards decremented', async () => {
      const d = await proxiedDialog();
      d.caller.send(request({ method: 'BYE', uri: d.calleeUri, callId: d.callId, toTag: d.toTag, cseq: 2, routes: [d.rr],
        localPort: d.caller.port }), enginePort());
      const bye = await d.callee.inbox.wait((m) => m.method === 'BYE', 'BYE at the callee');
      assert.equal(bye.header('max-forwards'), '69');
      assert.equal(bye.header('route'), undefined, 'our Route was popped');
      d.callee.send(responseTo(bye, 200, 'OK', d.toTag, `<${d.calleeUri}>`), enginePort());
      assert.equal((await d.caller.inbox.wait((m) => m.status === 200 && /BYE/.test(m.header('cseq') ?? ''), '200 to the BYE')).status, 200);
    });

    it('Max-Forwards 0: 483, not forwarded (RFC 3261 16.3 step 3); an ACK with 0 is dropped', async () => {
      const d = await proxiedDialog();
      d.caller.send(request({ method: 'ACK', uri: d.calleeUri, callId: d.callId, toTag: d.toTag, cseq: 1, maxForwards: 0, routes: [d.rr],
        localPort: d.caller.port }), enginePort());
      d.caller.send(request({ method: 'MESSAGE', uri: d.calleeUri, callId: d.callId, toTag: d.toTag, cseq: 2, maxForwards: 0, routes: [d.rr],
        localPort: d.caller.port, body: 'hi' }), enginePort());
      const res = await d.caller.inbox.wait((m) => final(m) && /MESSAGE/.test(m.header('cseq') ?? ''), 'answer to the MESSAGE');
      assert.equal(res.status, 483);
      await settle();
      assert.deepEqual(d.callee.inbox.messages.map((m) => m.method).filter((m) => m !== undefined), ['INVITE', 'ACK'], 'only the first ACK arrived');
    });

    it('a forged token, a missing one and one issued for another Call-ID are refused with 403', async () => {
      const d = await proxiedDialog();
      const forged = d.rr.replace(/;rrt=[A-Za-z0-9_-]{16}/, ';rrt=AAAAAAAAAAAAAAAA');
      const missing = d.rr.replace(/;rrt=[A-Za-z0-9_-]{16}/, '');
      const attempts = [
        { callId: d.callId, route: forged },
        { callId: d.callId, route: missing },
        { callId: `${d.callId}x`, route: d.rr },
      ];
      let cseq = 2;
      for (const a of attempts) {
        d.caller.send(request({ method: 'MESSAGE', uri: d.calleeUri, callId: a.callId, toTag: d.toTag, cseq: cseq++, routes: [a.route],
          localPort: d.caller.port, body: 'x' }), enginePort());
        const res = await d.caller.inbox.wait((m) => final(m) && m.header('cseq') === `${cseq - 1} MESSAGE`, `answer to ${a.route}`);
        assert.equal(res.status, 403, a.route);
      }
      await settle();
      assert.equal(d.callee.inbox.messages.filter((m) => m.method === 'MESSAGE').length, 0);
    });

    it('a valid token does not open the deny list: an in-dialog request toward "redis" gets 403 and no bytes', async () => {
      const d = await proxiedDialog();
      const hosts = ['127.0.0.1', '127.1', '[::ffff:127.0.0.1]', 'localhost'];
      let cseq = 2;
      for (const host of hosts) {
        d.caller.send(request({ method: 'MESSAGE', uri: `sip:x@${host}:${redis.port};transport=tcp`, callId: d.callId, toTag: d.toTag,
          cseq: cseq++, routes: [d.rr], localPort: d.caller.port, body: 'FLUSHALL\r\n' }), enginePort());
      }
      // the 200 to the INVITE is in the inbox too: only the answers to the MESSAGEs count
      const answers = (): SipText[] => d.caller.inbox.messages.filter((m) => final(m) && /MESSAGE/.test(m.header('cseq') ?? ''));
      await d.caller.inbox.wait(() => answers().length === hosts.length, 'an answer to each MESSAGE');
      assert.deepEqual(answers().map((m) => m.status), hosts.map(() => 403));
      await settle();
      assert.equal(redis.connections, 0);
    });
  });

  describe('destinations the engine never sends to', () => {
    function appRequest(srf: Srf, uri: string): Promise<string> {
      return new Promise((resolve) => {
        (srf.request as unknown as (u: string, o: object, cb: (err: unknown, req?: Srf.SrfRequest) => void) => void).call(srf,
          uri, { method: 'MESSAGE', headers: { 'Content-Type': 'text/plain' }, body: 'FLUSHALL\r\n' }, (err, req) => {
            if (err) {
              resolve(`refused: ${String((err as Error).message ?? err)}`);
              return;
            }
            req?.on('response', (res?: Srf.SrfResponse) => {
              if (res && res.status >= 200) resolve(`sent: ${res.status}`);
            });
          });
      });
    }

    it('an app request to a denied port fails at once, however the host is spelled, and nothing arrives', async () => {
      const srf = await fx.app(() => undefined);
      const e = fx.engine();
      const targets = [
        ...['127.0.0.1', '127.1', '0.0.0.0', 'localhost', '[::ffff:127.0.0.1]', '[::1]'].map((h) => `sip:x@${h}:${redis.port};transport=tcp`),
        `sip:x@127.0.0.1:${e.adminPort};transport=tcp`,
        `sip:x@127.0.0.2:${e.httpPort};transport=tcp`,
      ];
      for (const uri of targets) {
        const outcome = await appRequest(srf, uri);
        assert.match(outcome, /^refused: .*denied/, uri);
      }
      await settle();
      assert.equal(redis.connections, 0);
      assert.equal(redis.bytes, 0);
    });

    it('a proxy destination that is denied is skipped: the next one is tried, and 403 when none is left', async () => {
      const caller = await peer();
      const callee = await peer();
      await fx.app((srf) => handlers(srf).message((req) => {
        const dests = req.get('Subject') === 'only-denied'
          ? [`sip:x@127.0.0.1:${redis.port};transport=tcp`]
          : [`sip:x@localhost:${redis.port};transport=tcp`, `sip:bob@127.0.0.1:${callee.port}`];
        (srf.proxyRequest as unknown as (q: Srf.SrfRequest, d: string[]) => Promise<unknown>).call(srf, req, dests).catch(() => undefined);
      }));
      const onlyDenied = request({ method: 'MESSAGE', uri: `sip:bob@127.0.0.1:${enginePort()}`, localPort: caller.port, body: 'x' })
        .replace('\r\nContent-Length', '\r\nSubject: only-denied\r\nContent-Length');
      caller.send(onlyDenied, enginePort());
      assert.equal((await caller.inbox.wait(final, 'answer to the MESSAGE')).status, 403);
      caller.send(request({ method: 'MESSAGE', uri: `sip:bob@127.0.0.1:${enginePort()}`, localPort: caller.port, cseq: 2, body: 'x' }), enginePort());
      const msg = await callee.inbox.wait((m) => m.method === 'MESSAGE', 'MESSAGE at the second destination');
      callee.send(responseTo(msg, 200, 'OK', 'c2', `<sip:bob@127.0.0.1:${callee.port}>`), enginePort());
      assert.equal((await caller.inbox.wait((m) => m.status === 200, '200 from the second destination')).status, 200);
      assert.equal(redis.connections, 0);
    });
  });
});
