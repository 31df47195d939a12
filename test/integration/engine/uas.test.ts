import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { dialogRequest, handlers } from '../../support/srf-app';
import { deferred, engineFixture, flow, SDP } from './fixture';
import { answerInvite } from '../../../lib/calls/answer';

/** A plain srf UAS on the engine, sipp as the caller (RFC 3261 13 and 15 flows). */
describe('engine: srf UAS against a sipp caller', function () {
  this.timeout(20000);
  const fx = engineFixture();

  it('answers, and the caller hangs up', async () => {
    const destroyed = deferred();
    await fx.app((srf) => srf.invite(async (req, res) => {
      await answerInvite(srf, req, res, SDP, (d) => d.on('destroy', () => destroyed.resolve()));
    }));
    const r = await fx.uac({ scenario: 'uac.xml', service: 'svc' });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events), ['> INVITE', '< 100', '< 200', '> ACK', '> BYE', '< 200']);
    await destroyed.promise;
    const ok = r.events.find((e) => e.status === 200 && e.method === 'INVITE');
    assert.match(ok?.message ?? '', /\r\nTo: [^\r]*;tag=/, '2xx carries a To tag');
    assert.match(ok?.message ?? '', /\r\nContact: <sip:127\.0\.0\.1:\d+>/, 'the engine adds a Contact');
  });

  it('copies the INVITE\'s Record-Route values into the 200, in order (RFC 3261 12.1.1)', async () => {
    await fx.app((srf) => srf.invite(async (req, res) => {
      await srf.createUAS(req, res, { localSdp: SDP });
    }));
    const r = await fx.uac({ scenario: 'uac-record-route.xml', service: 'svc' });
    assert.equal(r.code, 0, r.errors);
    const ok = r.events.find((e) => e.status === 200 && e.method === 'INVITE')?.message ?? '';
    const rr = [...ok.matchAll(/^Record-Route: (.*)$/gm)].flatMap((m) => m[1].split(/,\s*/));
    assert.deepEqual(rr, ['<sip:p1.invalid;lr;x=1>', '<sip:p2.invalid;lr>', '<sip:p3.invalid;lr>']);
  });

  it('answers, and the application hangs up', async () => {
    await fx.app((srf) => srf.invite(async (req, res) => {
      const d = await srf.createUAS(req, res, { localSdp: SDP });
      setTimeout(() => d.destroy(), 50);
    }));
    const r = await fx.uac({ scenario: 'uac-bye-received.xml', service: 'svc' });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events), ['> INVITE', '< 100', '< 200', '> ACK', '< BYE', '> 200']);
  });

  it('caller cancels while ringing: 200 to the CANCEL, 487 to the INVITE, the app told', async () => {
    const cancelled = deferred();
    await fx.app((srf) => srf.invite((req, res) => {
      req.on('cancel', () => cancelled.resolve());
      res.send(180);
    }));
    const r = await fx.uac({ scenario: 'uac-cancel.xml', service: 'svc' });
    assert.equal(r.code, 0, r.errors);
    const f = flow(r.events);
    assert.deepEqual(f.slice(0, 4), ['> INVITE', '< 100', '< 180', '> CANCEL']);
    assert.deepEqual([...f.slice(4)].sort(), ['< 200', '< 487', '> ACK'].sort());
    await cancelled.promise;
  });

  for (const status of [486, 603, 404]) {
    it(`rejects with ${status}; the ACK is absorbed by the engine`, async () => {
      await fx.app((srf) => srf.invite((_req, res) => res.send(status)));
      const r = await fx.uac({ scenario: `uac-expect-${status}.xml`, service: 'svc' });
      assert.equal(r.code, 0, r.errors);
      assert.deepEqual(flow(r.events), ['> INVITE', '< 100', `< ${status}`, '> ACK']);
    });
  }

  it('answers OPTIONS outside a dialog', async () => {
    await fx.app((srf) => handlers(srf).options((_req, res) => res.send(200)));
    const r = await fx.uac({ scenario: 'uac-options.xml', service: 'svc' });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events), ['> OPTIONS', '< 200']);
  });

  it('relays re-INVITEs from the caller to the dialog (hold and resume)', async () => {
    const directions: string[] = [];
    await fx.app((srf) => srf.invite(async (req, res) => {
      await answerInvite(srf, req, res, SDP, (d) => d.on('modify', (mreq: Srf.SrfRequest, mres: Srf.SrfResponse) => {
        directions.push(/a=(sendonly|recvonly|inactive|sendrecv)/.exec(mreq.body)?.[1] ?? 'none');
        mres.send(200, { body: SDP });
      }));
    }));
    const r = await fx.uac({ scenario: 'uac-reinvite.xml', service: 'svc' });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events).filter((x) => x.startsWith('>')), ['> INVITE', '> ACK', '> INVITE', '> ACK', '> INVITE', '> ACK', '> BYE']);
    assert.deepEqual(directions, ['sendonly', 'sendrecv']);
  });

  it('sends a re-INVITE from the application within the dialog', async () => {
    const modified = deferred<string>();
    await fx.app((srf) => srf.invite(async (req, res) => {
      const d = await srf.createUAS(req, res, { localSdp: SDP });
      const answer = await d.modify(SDP.replace('a=sendrecv', 'a=sendonly'));
      modified.resolve(answer);
      d.on('destroy', () => undefined);
    }));
    const r = await fx.uac({ scenario: 'uac-reinvite-received.xml', service: 'svc' });
    assert.equal(r.code, 0, r.errors);
    assert.match(await modified.promise, /m=audio/);
    const reinvite = r.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission);
    assert.equal(reinvite.length, 1);
    assert.match(reinvite[0].message, /a=sendonly/);
    assert.match(reinvite[0].firstLine, /^INVITE sip:sipp@127\.0\.0\.1:\d+/, 'sent to the caller\'s Contact');
  });

  it('takes a REFER within the dialog and reports with NOTIFY (message/sipfrag)', async () => {
    const referTo = deferred<string>();
    await fx.app((srf) => srf.invite(async (req, res) => {
      await answerInvite(srf, req, res, SDP, (d) => d.on('refer', (rreq: Srf.SrfRequest, rres: Srf.SrfResponse) => {
        referTo.resolve(rreq.get('Refer-To'));
        rres.send(202);
        void dialogRequest(d, { method: 'NOTIFY', headers: { Event: 'refer', 'Subscription-State': 'terminated;reason=noresource', 'Content-Type': 'message/sipfrag;version=2.0' }, body: 'SIP/2.0 200 OK\r\n' });
      }));
    }));
    const r = await fx.uac({ scenario: 'uac-refer.xml', service: 'svc', vars: { refer_to: 'sip:carol@127.0.0.1' } });
    assert.equal(r.code, 0, r.errors);
    assert.match(await referTo.promise, /sip:carol@127\.0\.0\.1/);
    const notify = r.events.find((e) => e.dir === 'received' && e.method === 'NOTIFY' && e.status === undefined);
    assert.match(notify?.message ?? '', /\r\n\r\nSIP\/2\.0 200 OK/);
  });

  it('works over TCP', async () => {
    await fx.app((srf) => srf.invite(async (req, res) => {
      await answerInvite(srf, req, res, SDP, (d) => d.on('destroy', () => undefined));
    }));
    const r = await fx.uac({ scenario: 'uac.xml', service: 'svc', transport: 't1' });
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events), ['> INVITE', '< 100', '< 200', '> ACK', '> BYE', '< 200']);
    assert.ok(r.events.every((e) => e.transport === 'TCP'));
  });
});

/**
 * Packet loss with the RFC 3261 default timers on both sides: with shortened engine
 * timers a peer's late retransmission (sipp uses T1 = 500 ms) could outlive the
 * engine's transaction and be taken as a new request.
 */
describe('engine: UDP packet loss', function () {
  this.timeout(60000);
  // (the RFC timers keep completed transactions 32 s: the drain check is left to the other files)
  const fx = engineFixture({ t1: 500, t2: 4000, t4: 5000 }, { drain: false });

  it('recovers lost UDP messages by retransmission (sipp -lost 10, 20 calls)', async () => {
    const before = await fx.engine().stats();
    await fx.app((srf) => srf.invite(async (req, res) => {
      await answerInvite(srf, req, res, SDP, (d) => d.on('destroy', () => undefined));
    }));
    const r = await fx.uac({ scenario: 'uac.xml', service: 'svc', calls: 20, rate: 20, lost: 10, durationMs: 50 });
    assert.equal(r.code, 0, r.errors);
    const after = await fx.engine().stats();
    assert.ok(after.retransmissionsIn + after.retransmissionsOut > before.retransmissionsIn + before.retransmissionsOut, 'some message was retransmitted');
  });

});
