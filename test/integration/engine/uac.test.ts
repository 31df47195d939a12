import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { dialogRequest } from '../../support/srf-app';
import { deferred, engineFixture, flow, SDP } from './fixture';

type CreateUac = (uri: string, opts: object, progress?: object) => Promise<Srf.Dialog>;
/** srf.createUAC with the options its declarations leave out (auth, callbacks). */
function createUAC(srf: Srf, uri: string, opts: object, progress?: object): Promise<Srf.Dialog> {
  return (srf.createUAC as unknown as CreateUac).call(srf, uri, opts, progress);
}

/** A plain srf UAC on the engine calling sipp (RFC 3261 13.2, 17.1). */
describe('engine: srf UAC calling a sipp callee', function () {
  this.timeout(20000);
  const fx = engineFixture();

  it('calls, and the application hangs up', async () => {
    const uas = await fx.uas({ scenario: 'uas.xml' });
    const srf = await fx.app(() => undefined);
    const d = await createUAC(srf, `sip:bob@127.0.0.1:${uas.port}`, { localSdp: SDP });
    assert.match(d.remote.sdp, /m=audio/);
    d.destroy();
    const r = await uas.done;
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events), ['< INVITE', '> 180', '> 200', '< ACK', '< BYE', '> 200']);
    const invite = r.events[0].message;
    assert.match(invite, /\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;rport;branch=z9hG4bK/);
    assert.match(invite, /\r\nFrom: [^\r]*;tag=/);
    assert.match(invite, /\r\nMax-Forwards: 70\r\n/);
    const bye = r.events.find((e) => e.method === 'BYE')?.message ?? '';
    assert.match(bye, /^BYE sip:127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0/, 'BYE goes to the remote target from the Contact');
  });

  it('calls, and the callee hangs up', async () => {
    const uas = await fx.uas({ scenario: 'uas-bye.xml' });
    const srf = await fx.app(() => undefined);
    const d = await createUAC(srf, `sip:bob@127.0.0.1:${uas.port}`, { localSdp: SDP });
    const destroyed = deferred();
    d.on('destroy', () => destroyed.resolve());
    await destroyed.promise;
    const r = await uas.done;
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events), ['< INVITE', '> 180', '> 200', '< ACK', '> BYE', '< 200']);
  });

  it('gets 486 and ACKs it in the transaction', async () => {
    const uas = await fx.uas({ scenario: 'uas-busy.xml' });
    const srf = await fx.app(() => undefined);
    await assert.rejects(createUAC(srf, `sip:bob@127.0.0.1:${uas.port}`, { localSdp: SDP }), (err: { status: number }) => err.status === 486);
    const r = await uas.done;
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events), ['< INVITE', '> 486', '< ACK']);
  });

  it('times out an INVITE nobody answers: 408 after timer B (64*T1)', async () => {
    const uas = await fx.uas({ scenario: 'uas-silent.xml' });
    const srf = await fx.app(() => undefined);
    const started = Date.now();
    await assert.rejects(createUAC(srf, `sip:bob@127.0.0.1:${uas.port}`, { localSdp: SDP }), (err: { status: number }) => err.status === 408);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 64 * 50 - 100 && elapsed < 64 * 50 + 2000, `timer B fired after ${elapsed} ms`);
    const r = await uas.kill();
    const invites = r.events.filter((e) => e.method === 'INVITE' && e.status === undefined);
    assert.ok(invites.length >= 5, `INVITE retransmitted by timer A (${invites.length} copies)`);
  });

  it('cancels a ringing call: CANCEL after the 180, then 487', async () => {
    const uas = await fx.uas({ scenario: 'uas-ring-cancel.xml' });
    const srf = await fx.app(() => undefined);
    let sent: Srf.SrfRequest | undefined;
    const p = createUAC(srf, `sip:bob@127.0.0.1:${uas.port}`, { localSdp: SDP }, {
      cbRequest: (_err: unknown, req: Srf.SrfRequest) => (sent = req),
      cbProvisional: () => (sent?.cancel as unknown as () => void)?.call(sent),
    });
    await assert.rejects(p, (err: { status: number }) => err.status === 487);
    const r = await uas.done;
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events), ['< INVITE', '> 180', '< CANCEL', '> 200', '> 487', '< ACK']);
    const inv = r.events[0].message;
    const cancel = r.events[2].message;
    const branch = (m: string): string => /branch=([^;\s]+)/.exec(m)?.[1] ?? '';
    assert.equal(branch(cancel), branch(inv), 'RFC 3261 9.1: the CANCEL has the INVITE\'s branch');
  });

  it('answers a re-INVITE from the callee through the dialog', async () => {
    const uas = await fx.uas({ scenario: 'uas-sends-reinvite.xml' });
    const srf = await fx.app(() => undefined);
    const d = await createUAC(srf, `sip:bob@127.0.0.1:${uas.port}`, { localSdp: SDP });
    const modified = deferred();
    d.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      res.send(200, { body: SDP });
      modified.resolve();
    });
    await modified.promise;
    d.destroy();
    const r = await uas.done;
    assert.equal(r.code, 0, r.errors);
  });

  it('leaves no dialog behind when a BYE crosses the app\'s re-INVITE and its 200 comes late', async () => {
    const uas = await fx.uas({ scenario: 'uas-bye-crosses-reinvite.xml' });
    const srf = await fx.app(() => undefined);
    const d = await createUAC(srf, `sip:bob@127.0.0.1:${uas.port}`, { localSdp: SDP });
    const ended = deferred();
    d.on('destroy', () => ended.resolve());
    // the 200 reaches the app after the BYE ended the dialog; what srf makes of it does not matter here
    const modified = d.modify(SDP).then(() => 'resolved', () => 'rejected');
    await ended.promise;
    await modified;
    const r = await uas.done;
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events).slice(0, 3), ['< INVITE', '> 200', '< ACK']);
    // RFC 3261 12.1.2: a 2xx to an in-dialog request creates no dialog
    assert.equal((await fx.engine().stats()).dialogs, 0);
  });

  it('sends REFER in the dialog and receives the NOTIFY', async () => {
    const uas = await fx.uas({ scenario: 'uas-refer-notify.xml' });
    const srf = await fx.app(() => undefined);
    const d = await createUAC(srf, `sip:bob@127.0.0.1:${uas.port}`, { localSdp: SDP });
    const notified = deferred<string>();
    d.on('notify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      res.send(200);
      notified.resolve(req.body);
    });
    const res = await dialogRequest(d, { method: 'REFER', headers: { 'Refer-To': '<sip:carol@127.0.0.1>' } });
    assert.equal(res.status, 202);
    assert.match(await notified.promise, /^SIP\/2\.0 200/);
    d.destroy();
    const r = await uas.done;
    assert.equal(r.code, 0, r.errors);
  });

  it('calls over TCP when the URI says transport=tcp', async () => {
    const uas = await fx.uas({ scenario: 'uas.xml', transport: 't1' });
    const srf = await fx.app(() => undefined);
    const d = await createUAC(srf, `sip:bob@127.0.0.1:${uas.port};transport=tcp`, { localSdp: SDP });
    d.destroy();
    const r = await uas.done;
    assert.equal(r.code, 0, r.errors);
    assert.ok(r.events.every((e) => e.transport === 'TCP'));
    assert.match(r.events[0].message, /\r\nVia: SIP\/2\.0\/TCP /);
  });

  it('answers a 407 with srf\'s digest client and retries the INVITE', async () => {
    const uas = await fx.uas({ scenario: 'uas-auth-invite.xml' });
    const srf = await fx.app(() => undefined);
    const d = await createUAC(srf, `sip:bob@127.0.0.1:${uas.port}`, { localSdp: SDP, auth: { username: 'alice', password: 'secret' } });
    d.destroy();
    const r = await uas.done;
    assert.equal(r.code, 0, r.errors);
    assert.deepEqual(flow(r.events).slice(0, 4), ['< INVITE', '> 407', '< ACK', '< INVITE']);
    assert.match(r.events[3].message, /\r\nProxy-Authorization: Digest /);
  });

  it('registers with srf\'s digest client against a challenging registrar', async () => {
    const uas = await fx.uas({ scenario: 'uas-register-auth.xml', vars: { auth_user: 'alice', auth_pass: 'secret' } });
    const srf = await fx.app(() => undefined);
    const res = await new Promise<Srf.SrfResponse>((resolve, reject) => {
      (srf.request as unknown as (uri: string, o: object, cb: (err: Error, req: Srf.SrfRequest) => void) => void).call(srf,
        `sip:127.0.0.1:${uas.port}`, { method: 'REGISTER', headers: { To: '<sip:alice@127.0.0.1>', From: '<sip:alice@127.0.0.1>', Contact: '<sip:alice@127.0.0.1:5999>', Expires: '60' }, auth: { username: 'alice', password: 'secret' } },
        (err, req) => {
          if (err) return reject(err);
          req.on('response', (response?: Srf.SrfResponse) => {
            if (response && response.status >= 200 && response.status !== 401) resolve(response);
          });
        });
    });
    assert.equal(res.status, 200);
    const r = await uas.done;
    assert.equal(r.code, 0, r.errors);
  });
});
