import assert from 'node:assert/strict';
import { createRtpEndpoint, mediaTarget, type RtpEndpoint, type RtpSender } from '../../support/rtp';
import { header, SipPeer } from '../races/sip-peer';
import { coreFixture, TENANT } from './fixture';

/**
 * Dead calls end (issue #14): with MEDIA_TIMEOUT=2, a call whose phones stop sending
 * media is hung up on both legs about two seconds later; while media flows it stays.
 */
describe('media timeout: a call without media is hung up on both legs', function () {
  this.timeout(40000);
  const TIMEOUT_S = 2;
  const fx = coreFixture({ MEDIA_TIMEOUT: String(TIMEOUT_S) });
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  async function endpoint(): Promise<RtpEndpoint> {
    const e = await createRtpEndpoint();
    cleanup.push(() => void e.stop());
    return e;
  }

  it('stays up while RTP flows, then both legs get BYE once both phones stop sending', async () => {
    await fx.provision('mt-a');
    await fx.provision('mt-b');
    const server = { host: '127.0.0.1', port: fx.sipPort() };
    const [a, b] = [await new SipPeer(server, TENANT).start(), await new SipPeer(server, TENANT).start()];
    cleanup.push(() => a.close(), () => b.close());
    await b.register('mt-b');
    const [ea, eb] = [await endpoint(), await endpoint()];

    const call = a.call({ to: 'mt-b', user: 'mt-a', sdp: ea.sdp() });
    const inv = await b.nextInvite();
    inv.send(200, eb.sdp());
    const r = await call.result;
    assert.equal(r.response.status, 200);
    const toB = mediaTarget(inv.request.body);
    const toA = mediaTarget(r.response.body);
    const senders: RtpSender[] = [ea.sendTo(toA.address, toA.port, { marker: 0x41 }), eb.sendTo(toB.address, toB.port, { marker: 0x42 })];
    cleanup.push(() => senders.forEach((s) => s.stop()));
    await ea.waitFor(0x42, 10, 5000);
    await eb.waitFor(0x41, 10, 5000);

    // three timeouts with media flowing: nobody is hung up
    await new Promise((res) => setTimeout(res, 3 * TIMEOUT_S * 1000));
    const byes = (p: SipPeer, callId: string) => p.requestsIn(callId, 'BYE').length;
    assert.equal(byes(a, r.dialog!.callId), 0, 'no BYE to the caller while media flows');
    assert.equal(byes(b, inv.dialog.callId), 0, 'no BYE to the callee while media flows');
    assert.equal((await fx.liveCall()).state, 'answered');

    const stopped = Date.now();
    senders.forEach((s) => s.stop());
    const [byeA, byeB] = await Promise.all([
      a.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === r.dialog!.callId, 15000, 'BYE at the caller'),
      b.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === inv.dialog.callId, 15000, 'BYE at the callee'),
    ]);
    const after = Math.min(byeA.at, byeB.at) - stopped;
    assert.ok(after >= TIMEOUT_S * 1000 - 300, `hung up ${after} ms after the media stopped, not before the timeout`);
    const listed = (await fx.api('GET', '/v1/calls')).body as { calls?: unknown[] } | unknown[];
    assert.equal((Array.isArray(listed) ? listed : listed.calls ?? []).length, 0, 'the call is gone from GET /v1/calls');
  });
});
