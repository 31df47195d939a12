import assert from 'node:assert/strict';
import { coreFixture, TENANT } from '../core/fixture';
import { header, SipPeer } from '../races/sip-peer';
import { PeerPhones } from '../races/peer-phones';

/**
 * Issue #16: "a failed park leaves the call as it was". The park lot's music class is a
 * music server (a phone of the test's own) that refuses the parked party: the park fails
 * after the slot was taken and the parker's audio blocked.
 */
describe('park: a park whose music server fails', function () {
  this.timeout(40000);
  const fx = coreFixture();
  const phones = new PeerPhones(fx);
  const peer = (): Promise<SipPeer> => phones.phone();
  after(() => phones.close());

  it('REST park with the music server refusing: 502, no slot taken, nobody hung up or re-INVITEd, the call goes on and ends normally', async () => {
    for (const u of ['pf-a', 'pf-b']) await fx.provision(u);
    const [a, b, music] = [await peer(), await peer(), await peer()];
    await b.register('pf-b');
    const lot = (await fx.api('GET', `/v1/tenants/${TENANT}/park`)).body as Record<string, unknown>;
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true, classes: { default: {}, refusing: { uri: `sip:music@127.0.0.1:${music.port}` } }, defaultClass: 'default' })).status, 200);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { ...lot, mohClass: 'refusing' })).status, 200);
    try {
      const call = a.call({ to: 'pf-b', user: 'pf-a' });
      const inv = await b.nextInvite();
      inv.send(200, b.sdp());
      const r = await call.result;
      assert.equal(r.response.status, 200);
      const live = await fx.liveCall((c) => c.callee.user === 'pf-b' && c.state === 'answered');
      const refusing = (async () => (await music.nextInvite()).send(503))();
      const park = await fx.api('POST', `/v1/calls/${live.id}/park`, { party: 'callee' });
      await refusing;
      assert.equal(park.status, 502, JSON.stringify(park.body));
      assert.equal((park.body as { code: string }).code, 'E_PARK_FAILED');
      assert.deepEqual(((await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: unknown[] }).parks, [], 'the slot is free');
      const listed = ((await fx.api('GET', '/v1/calls')).body as { calls: Array<{ id: string; state: string }> }).calls;
      assert.equal(listed.find((x) => x.id === live.id)?.state, 'answered', 'the call is up');
      assert.deepEqual(await fx.media().anchor.list(), [live.mediaCallId], 'only the call\'s own media session');
      assert.equal(b.requestsIn(inv.dialog.callId).filter((m) => m.method !== 'ACK').length, 1, 'the parked party got nothing after its INVITE');
      assert.equal(a.requestsIn(r.dialog!.callId).length, 0, 'the parker got nothing');
      // the parker's audio was blocked for the park and is let through again: a re-INVITE
      // across the call still works, and the hang-up reaches the other party
      assert.equal((await a.request(r.dialog!, 'INVITE', { body: a.sdp() })).status, 200);
      assert.equal((await a.request(r.dialog!, 'BYE')).status, 200);
      await b.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === inv.dialog.callId, 5000, 'BYE');
    } finally {
      await fx.api('PUT', `/v1/tenants/${TENANT}/park`, lot);
      await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true });
    }
  });
});
