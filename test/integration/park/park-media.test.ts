import assert from 'node:assert/strict';
import { rtpenginePorts } from '../../support/ng-query';
import { createRtpEndpoint, OTHER } from '../../support/rtp';
import { testLogger } from '../../support/rtpengine';
import { coreFixture, TENANT } from '../core/fixture';

/** What the parked party hears once parked: the music, never the parker (issue 14, item 6). */
describe('park: media after the park', function () {
  this.timeout(40000);
  const fx = coreFixture();

  it('from the moment of park nothing the parker sends reaches the parked party, while the parker hears its slot announced', async () => {
    for (const u of ['pm-a', 'pm-b']) await fx.provision(u);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, announce: true })).status, 200);
    const epA = await createRtpEndpoint();
    const epB = await createRtpEndpoint();
    try {
      const parked = await fx.uas('core-uas-reinvite-once-media.xml', await fx.register('pm-b'), { vars: { rtp_port: String(epB.port) }, timeoutSec: 30 });
      const parker = fx.call('core-call-bye-received-media.xml', 'pm-a', 'pm-b', { vars: { caller: 'pm-a', rtp_port: String(epA.port) }, timeoutSec: 20 });
      const call = await fx.liveCall();
      const ports = await rtpenginePorts(fx.media().process.ngPort, call.mediaCallId, testLogger());
      // the parker talks all along: 0x41 before the park, 0x42 from the moment the park is answered
      let marker = 0x41;
      const talk = epA.sendTo('127.0.0.1', ports.get(call.caller.tag) ?? 0, { payload: () => Buffer.alloc(160, marker) });
      try {
        await epB.waitFor(0x41, 10, 5000);
        const r = await fx.api('POST', `/v1/calls/${call.id}/park`, { party: 'callee' });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        marker = 0x42;
        const sentAtPark = talk.sent;
        const ra = await parker;
        assert.equal(ra.code, 0, ra.errors);
        assert.ok(talk.sent - sentAtPark >= 100, `the parker kept talking through its announcement (${talk.sent - sentAtPark} packets)`);
        assert.ok(epA.received(OTHER) >= 100, `the parker heard its slot (${epA.received(OTHER)} packets)`);
      } finally {
        talk.stop();
      }
      assert.ok(epB.received(OTHER) > 0, 'the parked party hears music');
      assert.equal(epB.received(0x42), 0, 'no packet the parker sent after the park reached the parked party');
      assert.equal((await fx.api('DELETE', `/v1/calls/${call.id}`)).status, 204);
      const rb = await parked.done;
      assert.equal(rb.code, 0, rb.errors);
    } finally {
      await epA.stop();
      await epB.stop();
    }
  });
});
