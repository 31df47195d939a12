import assert from 'node:assert/strict';
import { clusterFixture } from '../cluster/fixture';
import { TENANT } from '../core/fixture';
import { header, SipPeer } from '../races/sip-peer';
import { byeIn, connect, notifyIn } from './peers';

/**
 * Attended transfer whose two calls live on different instances (issue 18 point 4: the
 * edge hashes by Call-ID, so a transferor's two calls may land apart). The instance with
 * the transferee asks the owner of the consultation call over the bus (transfer.prepare)
 * and sends the transferee there; the call then runs through both instances. The
 * fixture checks that no dialog, call key or rtpengine session is left on either.
 */
describe('transfer across instances', function () {
  this.timeout(60000);
  const fx = clusterFixture(2);
  const open: SipPeer[] = [];
  /** a raw phone of instance `i` (0 or 1), registered as `user` when given */
  const phone = async (i: number, user?: string): Promise<SipPeer> => {
    const p = await new SipPeer({ host: '127.0.0.1', port: fx.instances[i].sipPort }, TENANT).start();
    open.push(p);
    if (user) await p.register(user);
    return p;
  };
  afterEach(() => {
    for (const p of open.splice(0)) p.close();
  });

  it('REFER with Replaces naming a dialog of the other instance: the target is re-INVITEd there, the transferee here, both transferor legs released', async () => {
    for (const u of ['xa-a', 'xa-b', 'xa-c']) await fx.provision(u);
    // A talks to B through instance 1 and to C through instance 2
    const [a1, a2, b, c] = [await phone(0), await phone(1), await phone(0, 'xa-b'), await phone(1, 'xa-c')];
    const d1 = await connect(a1, 'xa-a', b, 'xa-b');
    const d2 = await connect(a2, 'xa-a', c, 'xa-c');
    const replaces = `${d2.caller.callId}%3Bto-tag%3D${d2.caller.remoteTag}%3Bfrom-tag%3D${d2.caller.localTag}`;
    b.holdReinvites = true;
    c.holdReinvites = true;
    const r = await a1.request(d1.caller, 'REFER', { headers: { 'Refer-To': `<sip:xa-c@127.0.0.1?Replaces=${replaces}>` } });
    assert.equal(r.status, 202);
    const reC = await c.nextReinvite();
    reC.send(200, c.sdp());
    const reB = await b.nextReinvite();
    reB.send(200, b.sdp());
    const done = await notifyIn(a1, d1.caller.callId, 200);
    assert.match(header(done, 'subscription-state'), /^terminated/);
    await byeIn(a1, d1.caller.callId);
    await byeIn(a2, d2.caller.callId);
    // each instance keeps the dialogs of its own engine: B on instance 1, C on instance 2
    const one = await fx.instances[0].liveCall((x) => x.callee.user === 'xa-b');
    assert.equal(one.caller.user, 'xa-c', 'instance 1: the transferee now talks to the target');
    const two = await fx.instances[1].liveCall((x) => x.callee.user === 'xa-c');
    assert.equal(two.caller.user, 'xa-b', 'instance 2: the target now talks to the transferee');
    assert.equal(b.requestsIn(d1.callee.callId, 'BYE').length + c.requestsIn(d2.callee.callId, 'BYE').length, 0, 'transferee and target kept their dialogs');
    // the transferee hangs up: the BYE crosses both instances to the target
    await b.request(d1.callee, 'BYE');
    await byeIn(c, d2.callee.callId);
  });

  it('the target refuses its re-INVITE at the owner: NOTIFY 488, and both calls are as they were on their instances', async () => {
    for (const u of ['xf-a', 'xf-b', 'xf-c']) await fx.provision(u);
    const [a1, a2, b, c] = [await phone(0), await phone(1), await phone(0, 'xf-b'), await phone(1, 'xf-c')];
    const d1 = await connect(a1, 'xf-a', b, 'xf-b');
    const d2 = await connect(a2, 'xf-a', c, 'xf-c');
    const replaces = `${d2.caller.callId}%3Bto-tag%3D${d2.caller.remoteTag}%3Bfrom-tag%3D${d2.caller.localTag}`;
    c.holdReinvites = true;
    const r = await a1.request(d1.caller, 'REFER', { headers: { 'Refer-To': `<sip:xf-c@127.0.0.1?Replaces=${replaces}>` } });
    assert.equal(r.status, 202);
    (await c.nextReinvite()).send(488);
    const failed = await notifyIn(a1, d1.caller.callId, 488);
    assert.match(header(failed, 'subscription-state'), /^terminated/);
    await fx.instances[0].liveCall((x) => x.caller.user === 'xf-a' && x.callee.user === 'xf-b');
    await fx.instances[1].liveCall((x) => x.caller.user === 'xf-a' && x.callee.user === 'xf-c');
    assert.equal(b.requestsIn(d1.callee.callId, 'INVITE').length, 1, 'the transferee was never re-INVITEd');
    // both calls still work end to end: each hang-up reaches its far party
    await a1.request(d1.caller, 'BYE');
    await byeIn(b, d1.callee.callId);
    await a2.request(d2.caller, 'BYE');
    await byeIn(c, d2.callee.callId);
  });

  it('REST attended {party, toCall} with toCall on the other instance: 200, the same join', async () => {
    for (const u of ['xr-a', 'xr-b', 'xr-c']) await fx.provision(u);
    const [a1, a2, b, c] = [await phone(0), await phone(1), await phone(0, 'xr-b'), await phone(1, 'xr-c')];
    const d1 = await connect(a1, 'xr-a', b, 'xr-b');
    const d2 = await connect(a2, 'xr-a', c, 'xr-c');
    const id1 = (await fx.instances[0].liveCall((x) => x.callee.user === 'xr-b')).id;
    const id2 = (await fx.instances[1].liveCall((x) => x.callee.user === 'xr-c')).id;
    // asked of instance 2: the request runs on instance 1 (the owner of the call), which asks instance 2 for toCall
    const res = await fx.instances[1].api('POST', `/v1/calls/${id1}/transfer`, { party: 'callee', toCall: id2 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as { to: string }).to, 'xr-c');
    await byeIn(a1, d1.caller.callId);
    await byeIn(a2, d2.caller.callId);
    await c.request(d2.callee, 'BYE');
    await byeIn(b, d1.callee.callId);
  });

  it('refusals through the owner: a parked consultation call 409 E_CALL_PARKED; an unknown dialog 481', async () => {
    for (const u of ['xp-a', 'xp-b', 'xp-c']) await fx.provision(u);
    const [a1, a2, b, c] = [await phone(0), await phone(1), await phone(0, 'xp-b'), await phone(1, 'xp-c')];
    const d1 = await connect(a1, 'xp-a', b, 'xp-b');
    const d2 = await connect(a2, 'xp-a', c, 'xp-c');
    const id1 = (await fx.instances[0].liveCall((x) => x.callee.user === 'xp-b')).id;
    const id2 = (await fx.instances[1].liveCall((x) => x.callee.user === 'xp-c')).id;
    assert.equal((await fx.instances[1].api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60, announce: false })).status, 200);
    assert.equal((await fx.instances[1].api('POST', `/v1/calls/${id2}/park`, { party: 'callee', slot: '712' })).status, 200);
    await byeIn(a2, d2.caller.callId);
    const res = await fx.instances[0].api('POST', `/v1/calls/${id1}/transfer`, { party: 'callee', toCall: id2 });
    assert.deepEqual([res.status, (res.body as { code: string }).code], [409, 'E_CALL_PARKED'], JSON.stringify(res.body));
    const unknown = await a1.request(d1.caller, 'REFER', { headers: { 'Refer-To': '<sip:xp-c@127.0.0.1?Replaces=nope%3Bto-tag%3D1%3Bfrom-tag%3D2>' } });
    assert.equal(unknown.status, 481);
    await a1.request(d1.caller, 'BYE');
    await byeIn(b, d1.callee.callId);
    await c.request(d2.callee, 'BYE');
  });
});
