import assert from 'node:assert/strict';
import { header, SipPeer, type SipMessage } from '../races/sip-peer';
import { onDrachtio } from '../../support/test-engine';
import { coreFixture, TENANT } from './fixture';

/**
 * The interval we offer callees. drachtio-server runs RFC 4028 timers on its dialogs
 * itself, and where it refreshes it arms interval/2 plus a jitter of -5..+5 s: under 10 s
 * that can be negative, and v0.9.10 then aborts (`su_timer_create: Assertion msec >= 0`).
 * So 10 s there (the README's table of engine differences), 4 s on the embedded engine.
 */
const SE = onDrachtio() ? 10 : 4;

/**
 * Session timers (RFC 4028) on both legs, with a short interval (SE) and a 2 s Min-SE (the RFC's
 * 90 s floor is lowered for the test): 422 below Min-SE, the caller's refreshes kept and
 * answered with Session-Expires, a caller that stops refreshing hung up, the server
 * refreshing a leg itself and hanging up when a refresh gets 481.
 */
describe('session timers (RFC 4028)', function () {
  this.timeout(40000);
  const fx = coreFixture({ SESSION_EXPIRES: String(SE), SESSION_MIN_SE: '2', MEDIA_TIMEOUT: '0' });
  let a: SipPeer;
  let b: SipPeer;

  before(async () => {
    await fx.provision('st-a');
    await fx.provision('st-b');
    await fx.provision('st-c');
    const server = { host: '127.0.0.1', port: fx.sipPort() };
    [a, b] = [await new SipPeer(server, TENANT).start(), await new SipPeer(server, TENANT).start()];
  });
  beforeEach(() => b.register('st-b'));
  after(() => {
    a?.close();
    b?.close();
  });

  const byeIn = (p: SipPeer, callId: string, timeoutMs = 15000): Promise<SipMessage> =>
    p.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === callId, timeoutMs, 'BYE');

  it('a Session-Expires below Min-SE gets 422 with our Min-SE', async () => {
    const r = await a.call({ to: 'st-b', user: 'st-a', headers: { 'Session-Expires': '1', Supported: 'timer' } }).result;
    assert.equal(r.response.status, 422);
    assert.equal(header(r.response, 'min-se'), '2');
  });

  it('the caller refreshes (refresher=uac): its UPDATEs keep the call and are answered with Session-Expires; when they stop, both legs get BYE', async () => {
    const call = a.call({ to: 'st-b', user: 'st-a', headers: { 'Session-Expires': '4;refresher=uac', Supported: 'timer' } });
    const inv = await b.nextInvite();
    assert.equal(header(inv.request, 'session-expires'), String(SE), 'the callee is offered a timer');
    inv.send(200, b.sdp());
    const r = await call.result;
    assert.equal(r.response.status, 200);
    assert.equal(header(r.response, 'session-expires'), '4;refresher=uac');
    assert.equal(header(r.response, 'require'), 'timer');
    const ad = r.dialog!;
    if (fx.engine() === 'drachtio') {
      // drachtio-server answers an in-dialog refresh under its own fixed Min-SE (90 s, the
      // RFC 4028 5 floor) with 422 itself; unrefreshed, the call ends when the interval does
      const up = await a.request(ad, 'UPDATE', { headers: { 'Session-Expires': '4;refresher=uac', Supported: 'timer' } });
      assert.equal(up.status, 422);
      assert.equal(header(up, 'min-se'), '90');
      await Promise.all([byeIn(a, ad.callId), byeIn(b, inv.dialog.callId)]);
      return;
    }
    // 3 refreshes, 2 s apart: 6 s, past the 4 s interval
    for (let i = 0; i < 3; i++) {
      await new Promise((res) => setTimeout(res, 2000));
      const up = await a.request(ad, 'UPDATE', { headers: { 'Session-Expires': '4;refresher=uac', Supported: 'timer' } });
      assert.equal(up.status, 200);
      assert.equal(header(up, 'session-expires'), '4;refresher=uac', 'the refresh is answered with the interval (RFC 4028 9)');
    }
    assert.equal(a.requestsIn(ad.callId, 'BYE').length, 0, 'still up while refreshed');
    const stopped = Date.now();
    const [byeA] = await Promise.all([byeIn(a, ad.callId), byeIn(b, inv.dialog.callId)]);
    // RFC 4028 10: BYE at the interval less min(32, interval/3): 4 - 1.33 s after the last refresh
    assert.ok(byeA.at - stopped >= 2000, `BYE ${byeA.at - stopped} ms after the last refresh`);
  });

  it('sipp: a callee that is to refresh (refresher=uas) and never does is hung up, and so is the caller', async () => {
    const port = await fx.register('st-c');
    const uas = await fx.uas('core-uas-timer-silent.xml', port, { timeoutSec: 30 });
    // the caller refreshes its own leg every 2 s (refresher=uac), so only the callee's silence can end the call
    const call = a.call({ to: 'st-c', user: 'st-a', headers: { 'Session-Expires': '4;refresher=uac', Supported: 'timer' } });
    const r = await call.result;
    assert.equal(r.response.status, 200);
    const ad = r.dialog!;
    let done = false;
    const bye = byeIn(a, ad.callId).finally(() => (done = true));
    const answered = Date.now();
    while (!done) {
      const up = await a.request(ad, 'UPDATE', { headers: { 'Session-Expires': '4;refresher=uac', Supported: 'timer' } });
      if (up.status !== 200) break;
      await Promise.race([bye, new Promise((res) => setTimeout(res, 1500))]);
    }
    const byeA = await bye;
    // RFC 4028 10: the callee had 4 - min(32, 4/3) s to refresh
    assert.ok(byeA.at - answered >= 2000, `BYE ${byeA.at - answered} ms after the answer`);
    const rb = await uas.done;
    assert.equal(rb.code, 0, `the callee got its BYE: ${rb.errors}`);
  });

  it('the server refreshes both legs itself; a refresh answered 481 hangs up both legs', async () => {
    // the caller knows no timers: we refresh it; the callee's 2xx makes us its refresher too
    const call = a.call({ to: 'st-b', user: 'st-a' });
    const inv = await b.nextInvite();
    inv.send(200, b.sdp(), { 'Session-Expires': `${SE};refresher=uac`, Require: 'timer' });
    const r = await call.result;
    assert.equal(r.response.status, 200);
    assert.equal(header(r.response, 'session-expires'), `${SE};refresher=uas`);
    const ad = r.dialog!;
    // refreshes reach both phones (re-INVITEs: neither listed UPDATE in Allow) every SE/2;
    // on drachtio-server the engine's own refresh of the callee leg may come first: either will do
    const refreshed = (p: SipPeer, callId: string) => p.waitRequest((m) => m.method === 'INVITE' && header(m, 'call-id') === callId && !!header(m, 'session-expires'), SE * 1500, 'refresh');
    await Promise.all([refreshed(a, ad.callId), refreshed(b, inv.dialog.callId)]);
    assert.equal(a.requestsIn(ad.callId, 'BYE').length, 0);
    // the callee stops knowing the dialog
    b.holdReinvites = true;
    try {
      const held = await b.nextReinvite(SE * 1500);
      held.send(481);
    } finally {
      b.holdReinvites = false;
    }
    await Promise.all([byeIn(a, ad.callId), byeIn(b, inv.dialog.callId)]);
  });
});
