import assert from 'node:assert/strict';
import { createRtpEndpoint, mediaTarget, type RtpEndpoint } from '../../support/rtp';
import { until } from '../../support/until';
import { clusterFixture } from '../cluster/fixture';
import { TENANT } from '../core/fixture';
import { header, SipPeer, type IncomingInvite } from '../races/sip-peer';
import { byeIn, connect, notifyIn } from './peers';

/**
 * Attended transfer whose two calls live on different instances (issue 18 point 4: the
 * edge hashes by Call-ID, so a transferor's two calls may land apart). The instance with
 * the transferee asks the owner of the consultation call over the bus (transfer.prepare)
 * and sends the transferee there; the call then runs through both instances. After a
 * join the transferee and the target hear each other through both instances' rtpengine
 * sessions, the transferor hears neither, and once they hang up no rtpengine session and
 * no Redis call key is left (the fixture also checks every engine's dialogs).
 */
describe('transfer across instances', function () {
  this.timeout(60000);
  // one rtpengine per instance: the joined call's media crosses both
  const fx = clusterFixture(2, { rtpenginePerInstance: true });
  const open: SipPeer[] = [];
  /** a raw phone of instance `i` (0 or 1), registered as `user` when given */
  const phone = async (i: number, user?: string): Promise<SipPeer> => {
    const p = await new SipPeer({ host: '127.0.0.1', port: fx.instances[i].sipPort }, TENANT).start();
    open.push(p);
    if (user) await p.register(user);
    return p;
  };
  const eps: RtpEndpoint[] = [];
  const endpoint = async (): Promise<RtpEndpoint> => {
    const ep = await createRtpEndpoint();
    eps.push(ep);
    return ep;
  };
  afterEach(async () => {
    for (const p of open.splice(0)) p.close();
    for (const ep of eps.splice(0)) await ep.stop();
  });

  const [FROM_TRANSFEREE, FROM_TARGET] = [0x42, 0x43];

  /**
   * The transferee and the target, each sending where the re-INVITE that joined it says
   * (as a phone does), hear each other: the audio crosses this instance's session, the
   * leg between the instances and the owner's session. The transferor's endpoints, whose
   * legs were released, get none of it.
   */
  async function talk(transferee: { ep: RtpEndpoint; reinvite: IncomingInvite }, target: { ep: RtpEndpoint; reinvite: IncomingInvite }, transferor: RtpEndpoint[]): Promise<void> {
    const toB = mediaTarget(transferee.reinvite.request.body);
    const toC = mediaTarget(target.reinvite.request.body);
    const up = transferee.ep.sendTo(toB.address, toB.port, { marker: FROM_TRANSFEREE });
    const down = target.ep.sendTo(toC.address, toC.port, { marker: FROM_TARGET });
    try {
      await target.ep.waitFor(FROM_TRANSFEREE, 10, 5000);
      await transferee.ep.waitFor(FROM_TARGET, 10, 5000);
      for (const ep of transferor) {
        assert.ok(await ep.quietFor(FROM_TRANSFEREE, 300), 'the transferor does not hear the transferee');
        assert.ok(await ep.quietFor(FROM_TARGET, 300), 'the transferor does not hear the target');
        assert.equal(ep.received(FROM_TRANSFEREE) + ep.received(FROM_TARGET), 0, 'the transferor never heard them');
      }
    } finally {
      up.stop();
      down.stop();
    }
  }

  /** Once the joined call ended: no session on either instance's rtpengine and no call key in Redis. */
  async function nothingLeft(): Promise<void> {
    await until('no rtpengine session and no call key left', 10000, async () =>
      (await fx.media(0).anchor.list()).length === 0 && (await fx.media(1).anchor.list()).length === 0
      && (await fx.redis().client.keys('call:*')).length === 0);
  }

  it('REFER with Replaces naming a dialog of the other instance: the target is re-INVITEd there, the transferee here, both transferor legs released', async () => {
    for (const u of ['xa-a', 'xa-b', 'xa-c']) await fx.provision(u);
    // A talks to B through instance 1 and to C through instance 2
    const [a1, a2, b, c] = [await phone(0), await phone(1), await phone(0, 'xa-b'), await phone(1, 'xa-c')];
    const [epA1, epA2, epB, epC] = [await endpoint(), await endpoint(), await endpoint(), await endpoint()];
    const d1 = await connect(a1, 'xa-a', b, 'xa-b', { caller: epA1.sdp(), callee: epB.sdp() });
    const d2 = await connect(a2, 'xa-a', c, 'xa-c', { caller: epA2.sdp(), callee: epC.sdp() });
    const replaces = `${d2.caller.callId}%3Bto-tag%3D${d2.caller.remoteTag}%3Bfrom-tag%3D${d2.caller.localTag}`;
    b.holdReinvites = true;
    c.holdReinvites = true;
    const r = await a1.request(d1.caller, 'REFER', { headers: { 'Refer-To': `<sip:xa-c@127.0.0.1?Replaces=${replaces}>` } });
    assert.equal(r.status, 202);
    const reC = await c.nextReinvite();
    reC.send(200, epC.sdp());
    const reB = await b.nextReinvite();
    reB.send(200, epB.sdp());
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
    await talk({ ep: epB, reinvite: reB }, { ep: epC, reinvite: reC }, [epA1, epA2]);
    // the transferee hangs up: the BYE crosses both instances to the target
    await b.request(d1.callee, 'BYE');
    await byeIn(c, d2.callee.callId);
    await nothingLeft();
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
    const [epA1, epA2, epB, epC] = [await endpoint(), await endpoint(), await endpoint(), await endpoint()];
    const d1 = await connect(a1, 'xr-a', b, 'xr-b', { caller: epA1.sdp(), callee: epB.sdp() });
    const d2 = await connect(a2, 'xr-a', c, 'xr-c', { caller: epA2.sdp(), callee: epC.sdp() });
    const id1 = (await fx.instances[0].liveCall((x) => x.callee.user === 'xr-b')).id;
    const id2 = (await fx.instances[1].liveCall((x) => x.callee.user === 'xr-c')).id;
    b.holdReinvites = true;
    c.holdReinvites = true;
    // asked of instance 2: the request runs on instance 1 (the owner of the call), which asks instance 2 for toCall
    const pending = fx.instances[1].api('POST', `/v1/calls/${id1}/transfer`, { party: 'callee', toCall: id2 });
    const reC = await c.nextReinvite();
    reC.send(200, epC.sdp());
    const reB = await b.nextReinvite();
    reB.send(200, epB.sdp());
    const res = await pending;
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as { to: string }).to, 'xr-c');
    await byeIn(a1, d1.caller.callId);
    await byeIn(a2, d2.caller.callId);
    await talk({ ep: epB, reinvite: reB }, { ep: epC, reinvite: reC }, [epA1, epA2]);
    // the target hangs up this time: the BYE crosses both instances to the transferee
    await c.request(d2.callee, 'BYE');
    await byeIn(b, d1.callee.callId);
    await nothingLeft();
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
