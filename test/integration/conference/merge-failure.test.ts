import assert from 'node:assert/strict';
import { coreFixture, TENANT } from '../core/fixture';
import { header, SipPeer, type IncomingInvite } from '../races/sip-peer';
import { PeerPhones } from '../races/peer-phones';

/**
 * Issue #16: "a merge that fails part-way leaves every call up". The tenant's bridge is a
 * phone of the test's own that answers two of the three parties a REST merge moves into it
 * and refuses the third: the merge fails after two parties are already in the bridge.
 */
describe('conference: a merge that fails part-way', function () {
  this.timeout(60000);
  const fx = coreFixture();
  const phones = new PeerPhones(fx);
  const peer = (): Promise<SipPeer> => phones.phone();
  after(() => phones.close());


  it('the bridge refuses one of three parties: 502 saying so, the two that joined come back to their calls, both calls stay up and end normally', async () => {
    for (const u of ['mf-a', 'mf-b', 'mf-c']) await fx.provision(u);
    const [a, b, c, bridge] = [await peer(), await peer(), await peer(), await peer()];
    await b.register('mf-b');
    await c.register('mf-c');
    const settings = (bridgeUri?: string): Promise<unknown> => fx.api('PUT', `/v1/tenants/${TENANT}/conference`, { mergeCode: '*3', hostLeaves: 'end', ...(bridgeUri ? { bridgeUri } : {}) });
    await settings(`sip:room-{conference}@127.0.0.1:${bridge.port}`);
    try {
      const ab = await phones.answeredCall(a, 'mf-a', b, 'mf-b');
      const ac = await phones.answeredCall(a, 'mf-a', c, 'mf-c');
      // RFC 3725 4.1: each party's INVITE to the bridge has no SDP; the bridge offers in its 200
      const answering = (async (): Promise<IncomingInvite[]> => {
        const invites: IncomingInvite[] = [];
        for (let i = 0; i < 3; i++) {
          const inv = await bridge.nextInvite();
          if (i < 2) inv.send(200, bridge.sdp(41000 + 2 * i));
          else inv.send(503);
          invites.push(inv);
        }
        return invites;
      })();
      const r = await fx.api('POST', '/v1/conferences', { calls: [ab.id, ac.id] });
      const invites = await answering;
      assert.equal(r.status, 502, JSON.stringify(r.body));
      const body = r.body as { code: string; message: string };
      assert.equal(body.code, 'E_CONF_FAILED');
      assert.match(body.message, /could not join the bridge/, 'the answer says what failed');

      // the two that joined left the bridge: a BYE for each of its sessions
      await Promise.all(invites.slice(0, 2).map((i) => bridge.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === i.dialog.callId, 5000, 'BYE to the bridge')));
      // both calls are up, in their own media sessions, and nothing of the bridge is left
      const listed = ((await fx.api('GET', '/v1/calls')).body as { calls: Array<{ id: string; state: string }> }).calls;
      for (const id of [ab.id, ac.id]) assert.equal(listed.find((x) => x.id === id)?.state, 'answered', `call ${id} is up`);
      assert.deepEqual((await fx.media().anchor.list()).sort(), [ab.mediaCallId, ac.mediaCallId].sort(), 'only the calls\' own media sessions');
      // each party that had joined was re-INVITEd twice (into the bridge and back), the refused one never
      const reinvites: number[] = [
        a.requestsIn(ab.caller.callId, 'INVITE').length, a.requestsIn(ac.caller.callId, 'INVITE').length,
        b.requestsIn(ab.callee.callId, 'INVITE').length - 1, c.requestsIn(ac.callee.callId, 'INVITE').length - 1,
      ];
      const total = reinvites.reduce((x, y) => x + y, 0);
      assert.ok(reinvites.every((n) => n === 0 || n === 2), `re-INVITEs per party: ${reinvites.join(', ')}`);
      assert.equal(total, 4, `re-INVITEs per party: ${reinvites.join(', ')}`);
      assert.equal(b.requestsIn(ab.callee.callId, 'BYE').length + c.requestsIn(ac.callee.callId, 'BYE').length, 0, 'nobody was hung up');

      // the calls end as calls do: the host's BYE reaches each far party
      for (const [d, far, farDialog] of [[ab.caller, b, ab.callee], [ac.caller, c, ac.callee]] as const) {
        assert.equal((await a.request(d, 'BYE')).status, 200);
        await far.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === farDialog.callId, 5000, 'BYE');
      }
    } finally {
      await settings();
    }
  });

  it('a failed add (the phone answers with an SDP the bridge cannot take): 502 saying so, the phone gets a BYE, the members and their media are untouched', async () => {
    for (const u of ['fa-a', 'fa-b', 'fa-c', 'fa-d']) await fx.provision(u);
    const [a, b, c, d] = [await peer(), await peer(), await peer(), await peer()];
    await b.register('fa-b');
    await c.register('fa-c');
    await d.register('fa-d');
    const ab = await phones.answeredCall(a, 'fa-a', b, 'fa-b');
    const ac = await phones.answeredCall(a, 'fa-a', c, 'fa-c');
    const merged = await fx.api('POST', '/v1/conferences', { calls: [ab.id, ac.id] });
    assert.equal(merged.status, 201, JSON.stringify(merged.body));
    const conf = merged.body as { id: string; members: Array<{ id: string; user: string }> };
    // the host's second leg is released by the merge: its BYE first, then the count of what reached the members
    await a.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === ac.caller.callId, 5000, "BYE of the host's second leg");
    const sessions = (await fx.media().anchor.list()).sort();
    const seen = (p: SipPeer): number => p.received.length;
    const before = { a: seen(a), b: seen(b), c: seen(c) };

    const adding = fx.api('POST', `/v1/conferences/${conf.id}/members`, { to: 'fa-d' });
    const inv = await d.nextInvite();
    // RFC 3261 13.2.1: a 2xx to an offer must carry the answer; this one carries none
    inv.send(200);
    const r = await adding;
    assert.equal(r.status, 502, JSON.stringify(r.body));
    assert.equal((r.body as { code: string }).code, 'E_CONF_FAILED');
    assert.match((r.body as { message: string }).message, /fa-d could not join/, 'the answer says what failed');
    // the phone that answered is hung up: no call of it is left
    await d.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === inv.dialog.callId, 5000, 'BYE to the added phone');

    // the conference and its members are as they were: the same three, nothing sent to
    // them, the same media sessions
    const now = (await fx.api('GET', `/v1/conferences/${conf.id}`)).body as { members: Array<{ id: string }> };
    assert.deepEqual(now.members.map((m) => m.id).sort(), conf.members.map((m) => m.id).sort());
    assert.deepEqual({ a: seen(a), b: seen(b), c: seen(c) }, before, 'no request reached a member');
    assert.deepEqual((await fx.media().anchor.list()).sort(), sessions, 'the members\' media sessions, no other');

    assert.equal((await fx.api('DELETE', `/v1/conferences/${conf.id}`)).status, 204);
    await Promise.all([[a, ab.caller.callId], [b, ab.callee.callId], [c, ac.callee.callId]].map(([p, callId]) =>
      (p as SipPeer).waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === callId, 5000, 'BYE at the end')));
  });
});
