import assert from 'node:assert/strict';
import { coreFixture, TENANT } from '../core/fixture';

/**
 * RFC 3264 8 / RFC 4566 5.2: every SDP the server sends in one dialog keeps the o= line of
 * its first, with the version one up per new offer, whatever the server connects the leg
 * to (the other party, a music server, a retriever).
 */
describe('park: one SDP origin per dialog', function () {
  this.timeout(60000);
  const fx = coreFixture();

  it('the parked party sees one o= session id, the version one up per re-INVITE, across hold, resume, park and retrieve', async () => {
    for (const u of ['so-a', 'so-b', 'so-c']) await fx.provision(u);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60, announce: false })).status, 200);
    const parked = await fx.uas('core-uas-parked-slow.xml', await fx.register('so-b'), { durationMs: 10, timeoutSec: 40 });
    const parker = fx.call('core-call-bye-received.xml', 'so-a', 'so-b', { timeoutSec: 30 });
    const id = (await fx.liveCall()).id;
    const hold = await fx.api('POST', `/v1/calls/${id}/hold`, { party: 'callee' });
    assert.ok(hold.status < 300, JSON.stringify(hold.body));
    const resume = await fx.api('POST', `/v1/calls/${id}/resume`);
    assert.ok(resume.status < 300, JSON.stringify(resume.body));
    const park = await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee', slot: '709' });
    assert.equal(park.status, 200, JSON.stringify(park.body));
    assert.equal((await parker).code, 0);
    const rc = await fx.call('core-call.xml', 'so-c', '709', { durationMs: 300, timeoutSec: 20 });
    assert.equal(rc.code, 0, rc.errors);
    const rb = await parked.done;
    assert.equal(rb.code, 0, rb.errors);
    const origins = rb.events
      .filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission)
      .map((e) => /^o=(\S+) (\d+) (\d+) (.*)$/m.exec(e.message)?.slice(1).map((f) => f.trim()) ?? []);
    assert.equal(origins.length, 5, 'the INVITE, then music, back, music (park), the retriever');
    const [first, ...later] = origins;
    later.forEach((o, i) => {
      assert.deepEqual([o[0], o[1], o[3]], [first[0], first[1], first[3]], `re-INVITE ${i + 1}: the o= line of the INVITE but the version`);
      assert.equal(BigInt(o[2]), BigInt(first[2]) + BigInt(i + 1), `re-INVITE ${i + 1}: version + 1`);
    });
  });
});
