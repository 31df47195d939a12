import assert from 'node:assert/strict';
import { rtpenginePorts } from '../../support/ng-query';
import { createRtpEndpoint } from '../../support/rtp';
import { testLogger } from '../../support/rtpengine';
import { coreFixture } from './fixture';

const A = 0x11;
const B = 0x22;

/** RTP really flows A -> rtpengine -> B and back, and stops with the call. */
describe('core: media anchored in rtpengine', function () {
  this.timeout(30000);
  const fx = coreFixture();

  it('each party hears the other through rtpengine\'s ports, and nothing after the BYE', async () => {
    await fx.provision('ma');
    await fx.provision('mb');
    const epA = await createRtpEndpoint();
    const epB = await createRtpEndpoint();
    try {
      const uas = await fx.uas('core-uas-media.xml', await fx.register('mb'), { vars: { rtp_port: String(epB.port) } });
      const caller = fx.call('core-call-media.xml', 'ma', 'mb', { vars: { caller: 'ma', rtp_port: String(epA.port) }, durationMs: 1500 });
      const call = await fx.liveCall();
      const ports = await rtpenginePorts(fx.media().process.ngPort, call.mediaCallId, testLogger());
      const toA = ports.get(call.caller.tag);
      const toB = ports.get(call.callee.tag);
      assert.ok(toA && toB, `rtpengine ports for both tags: ${JSON.stringify([...ports])}`);
      const sa = epA.sendTo('127.0.0.1', toA, { marker: A });
      const sb = epB.sendTo('127.0.0.1', toB, { marker: B });
      await Promise.all([epB.waitFor(A, 20, 3000), epA.waitFor(B, 20, 3000)]);
      assert.equal(epA.received(A), 0, 'A does not hear itself');
      assert.equal(epB.lastSource(A)?.port, toB, 'B hears A from rtpengine\'s port');
      const ra = await caller;
      assert.equal(ra.code, 0, ra.errors);
      assert.equal((await uas.done).code, 0);
      // the session is gone: what A still sends reaches nobody
      assert.equal(await epB.quietFor(A, 300), true);
      sa.stop();
      sb.stop();
    } finally {
      await epA.stop();
      await epB.stop();
    }
  });

  it('*43 echo test: the caller hears its own audio back through rtpengine', async () => {
    await fx.provision('echoer');
    const ep = await createRtpEndpoint();
    try {
      const caller = fx.call('core-call-media.xml', 'echoer', '*43', { vars: { caller: 'echoer', rtp_port: String(ep.port) }, durationMs: 1500 });
      const deadline = Date.now() + 5000;
      let ports = new Map<string, number>();
      while (ports.size < 2 && Date.now() < deadline) {
        const sessions = await fx.media().anchor.list();
        if (sessions[0]) ports = await rtpenginePorts(fx.media().process.ngPort, sessions[0], testLogger());
        if (ports.size < 2) await new Promise((r) => setTimeout(r, 25));
      }
      const toCaller = [...ports].find(([tag]) => !tag.startsWith('echo-'))?.[1];
      assert.ok(toCaller);
      const s = ep.sendTo('127.0.0.1', toCaller, { marker: A });
      await ep.waitFor(A, 20, 3000);
      s.stop();
      const r = await caller;
      assert.equal(r.code, 0, r.errors);
    } finally {
      await ep.stop();
    }
  });
});
