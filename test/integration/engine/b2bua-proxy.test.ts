import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type Srf from 'drachtio-srf';
import { handlers } from '../../support/srf-app';
import { engineFixture, flow } from './fixture';

/** srf.createB2BUA, srf.proxyRequest and a challenging registrar on the engine, sipp on both sides. */
describe('engine: B2BUA, proxy and registrar apps', function () {
  this.timeout(20000);
  const fx = engineFixture();

  function b2bua(target: () => string) {
    return (srf: Srf): void => srf.invite(async (req, res) => {
      try {
        const { uas, uac } = await srf.createB2BUA(req, res, target(), { localSdpB: req.body });
        uas.on('destroy', () => uac.destroy());
        uac.on('destroy', () => uas.destroy());
        // re-INVITEs are the app's to relay: srf passes them up as 'modify'
        const relay = (from: Srf.Dialog, to: Srf.Dialog): void => {
          from.on('modify', async (mreq: Srf.SrfRequest, mres: Srf.SrfResponse) => {
            const answer = await to.modify(mreq.body);
            mres.send(200, { body: answer });
          });
        };
        relay(uas, uac);
        relay(uac, uas);
      } catch {
        // createB2BUA relayed the failure to the caller
      }
    });
  }

  it('bridges a call; the caller hangs up and both sides end', async () => {
    const uas = await fx.uas({ scenario: 'uas.xml' });
    await fx.app(b2bua(() => `sip:bob@127.0.0.1:${uas.port}`));
    const a = await fx.uac({ scenario: 'uac.xml', service: 'bob' });
    const b = await uas.done;
    assert.equal(a.code, 0, a.errors);
    assert.equal(b.code, 0, b.errors);
    assert.deepEqual(flow(a.events), ['> INVITE', '< 100', '< 180', '< 200', '> ACK', '> BYE', '< 200']);
    assert.deepEqual(flow(b.events), ['< INVITE', '> 180', '> 200', '< ACK', '< BYE', '> 200']);
    const callIdA = /Call-ID: (\S+)/.exec(a.events[0].message)?.[1];
    const callIdB = /Call-ID: (\S+)/.exec(b.events[0].message)?.[1];
    assert.notEqual(callIdA, callIdB, 'two dialogs, two Call-IDs');
  });

  it('bridges a call; the callee hangs up', async () => {
    const uas = await fx.uas({ scenario: 'uas-bye.xml' });
    await fx.app(b2bua(() => `sip:bob@127.0.0.1:${uas.port}`));
    const a = await fx.uac({ scenario: 'uac-bye-received.xml', service: 'bob' });
    const b = await uas.done;
    assert.equal(a.code, 0, a.errors);
    assert.equal(b.code, 0, b.errors);
  });

  it('carries a CANCEL from the caller to the ringing callee', async () => {
    const uas = await fx.uas({ scenario: 'uas-ring-cancel.xml' });
    await fx.app(b2bua(() => `sip:bob@127.0.0.1:${uas.port}`));
    const a = await fx.uac({ scenario: 'uac-cancel.xml', service: 'bob' });
    const b = await uas.done;
    assert.equal(a.code, 0, a.errors);
    assert.equal(b.code, 0, b.errors);
    assert.deepEqual(flow(b.events), ['< INVITE', '> 180', '< CANCEL', '> 200', '> 487', '< ACK']);
  });

  for (const [scenario, status] of [['uas-busy.xml', 486], ['uas-decline.xml', 603], ['uas-notfound.xml', 404]] as const) {
    it(`relays the callee's ${status} to the caller`, async () => {
      const uas = await fx.uas({ scenario });
      await fx.app(b2bua(() => `sip:bob@127.0.0.1:${uas.port}`));
      const a = await fx.uac({ scenario: `uac-expect-${status}.xml`, service: 'bob' });
      const b = await uas.done;
      assert.equal(a.code, 0, a.errors);
      assert.equal(b.code, 0, b.errors);
    });
  }

  it('relays re-INVITEs (hold, resume) from the caller to the callee', async () => {
    const uas = await fx.uas({ scenario: 'uas-reinvite.xml' });
    await fx.app(b2bua(() => `sip:bob@127.0.0.1:${uas.port}`));
    const a = await fx.uac({ scenario: 'uac-reinvite.xml', service: 'bob' });
    const b = await uas.done;
    assert.equal(a.code, 0, a.errors);
    assert.equal(b.code, 0, b.errors);
    const reinvites = b.events.filter((e) => e.method === 'INVITE' && e.status === undefined).slice(1);
    assert.equal(reinvites.length, 2);
    assert.match(reinvites[0].message, /a=sendonly/);
    assert.match(reinvites[1].message, /a=sendrecv/);
  });

  it('proxies an INVITE with Record-Route; ACK and BYE pass through the engine', async () => {
    const uas = await fx.uas({ scenario: 'uas.xml' });
    await fx.app((srf) => srf.invite((req) => {
      srf.proxyRequest(req, [`sip:bob@127.0.0.1:${uas.port}`], { recordRoute: true });
    }));
    const a = await fx.uac({ scenario: 'uac.xml', service: 'bob' });
    const b = await uas.done;
    assert.equal(a.code, 0, a.errors);
    assert.equal(b.code, 0, b.errors);
    // our own URI, with the token that lets the in-dialog requests back through (issue #13)
    assert.match(b.events[0].message, new RegExp(`\r\nRecord-Route: <sip:127\\.0\\.0\\.1:${fx.engine().sipPort};lr;rrt=[A-Za-z0-9_-]{16}>\r\n`));
    assert.match(b.events[0].message, /\r\nMax-Forwards: 69\r\n/);
    for (const m of ['ACK', 'BYE']) {
      const e = b.events.find((x) => x.method === m && x.status === undefined);
      assert.match(e?.message ?? '', new RegExp(`Via: SIP/2.0/UDP 127\\.0\\.0\\.1:${fx.engine().sipPort};`), `${m} came through the engine`);
    }
  });

  it('proxies and reports the final failure to the app', async () => {
    const uas = await fx.uas({ scenario: 'uas-busy.xml' });
    let final = 0;
    await fx.app((srf) => srf.invite(async (req) => {
      const r = await (srf.proxyRequest as unknown as (q: Srf.SrfRequest, d: string[]) => Promise<{ finalStatus: number }>).call(srf, req, [`sip:bob@127.0.0.1:${uas.port}`]);
      final = r.finalStatus;
    }));
    const a = await fx.uac({ scenario: 'uac-expect-486.xml', service: 'bob' });
    assert.equal(a.code, 0, a.errors);
    assert.equal((await uas.done).code, 0);
    assert.equal(final, 486);
  });

  it('a registrar app challenges REGISTER with 401 and accepts the digest (call flow "Register")', async () => {
    const realm = '127.0.0.1';
    const nonce = crypto.randomBytes(8).toString('hex');
    const md5 = (s: string): string => crypto.createHash('md5').update(s).digest('hex');
    await fx.app((srf) => handlers(srf).register((req, res) => {
      const auth = req.get('Authorization');
      if (!auth) {
        res.send(401, { headers: { 'WWW-Authenticate': `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5` } });
        return;
      }
      const p = Object.fromEntries([...auth.matchAll(/(\w+)="?([^",]+)"?/g)].map((m) => [m[1], m[2]]));
      const expected = md5(`${md5(`${p.username}:${realm}:secret`)}:${nonce}:${md5(`REGISTER:${p.uri}`)}`);
      res.send(p.response === expected ? 200 : 403, { headers: { Contact: req.get('Contact') ?? '', Expires: '60' } });
    }));
    const r = await fx.uac({ scenario: 'register-auth.xml', service: 'alice', auth: { username: 'alice', password: 'secret' } });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events), ['> REGISTER', '< 401', '> REGISTER', '< 200']);
  });
});
