import assert from 'node:assert/strict';
import { TENANT } from '../core/fixture';
import { flow } from '../engine/fixture';
import { clusterFixture } from './fixture';

/** Issue: park and pickup with two feature-server instances sharing one Redis (two engines). */
describe('cluster: two instances, one Redis', function () {
  this.timeout(60000);
  const fx = clusterFixture(2);
  const one = (): (typeof fx.instances)[number] => fx.instances[0];
  const two = (): (typeof fx.instances)[number] => fx.instances[1];
  async function parks(): Promise<Array<{ slot: string; parked: string }>> {
    return ((await two().api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: Array<{ slot: string; parked: string }> }).parks;
  }

  it('a call parked through instance 1 is retrieved by dialing the slot through instance 2', async () => {
    await one().api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, announce: false });
    for (const u of ['xa', 'xb', 'xc']) await fx.provision(u);
    const parked = await fx.uas('core-uas-hold.xml', await one().register('xb'), { timeoutSec: 30 });
    const parker = one().call('core-call-bye-received.xml', 'xa', 'xb', { timeoutSec: 20 });
    const call = await one().liveCall();
    const r = await one().api('POST', `/v1/calls/${call.id}/park`, { party: 'callee' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await parker).code, 0);
    assert.deepEqual((await parks()).map((p) => [p.slot, p.parked]), [['701', 'xb']], 'instance 2 sees the park');
    const rc = await two().call('core-call.xml', 'xc', '701', { durationMs: 500 });
    assert.equal(rc.code, 0, rc.errors);
    const rb = await parked.done;
    assert.equal(rb.code, 0, rb.errors);
    const reinvites = rb.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission).slice(1);
    assert.equal(reinvites.length, 2, 'one re-INVITE to music, one to the retriever');
    assert.deepEqual(await parks(), []);
  });

  it('REST through instance 2 parks and retrieves a call that lives on instance 1; the timeout fires once', async () => {
    await one().api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 1, comebackTimeout: 2, announce: false });
    for (const u of ['ya', 'yb', 'yc']) await fx.provision(u);
    const parked = await fx.uas('core-uas-hold.xml', await one().register('yb'), { timeoutSec: 30 });
    const back = await fx.uas('core-uas.xml', await one().register('ya'), { timeoutSec: 30 });
    const parker = one().call('core-call-bye-received.xml', 'ya', 'yb', { timeoutSec: 20 });
    const call = await one().liveCall();
    const r = await two().api('POST', `/v1/calls/${call.id}/park`, { party: 'callee', slot: '710' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((r.body as { slot: string }).slot, '710');
    assert.equal((await parker).code, 0);
    // the lot's 1 s timeout: the owner calls the parker back, exactly once
    const deadline = Date.now() + 10000;
    while ((await parks()).length > 0 || (await one().dialogs()) !== 2) {
      if (Date.now() > deadline) throw new Error('no comeback');
      await new Promise((r) => setTimeout(r, 25));
    }
    // the hand-over is done when the parker's new dialog is the call's caller (a hang-up
    // before that would cross the re-INVITE that moves the parked party to it)
    await one().liveCall((c) => c.id === call.id && c.caller.tag !== call.caller.tag);
    assert.equal((await one().api('DELETE', `/v1/calls/${call.id}`)).status, 204);
    const rback = await back.done;
    assert.equal(rback.code, 0, rback.errors);
    assert.equal(rback.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission).length, 1,
      'one comeback call, not one per instance');
    const rparked = await parked.done;
    assert.equal(rparked.code, 0, rparked.errors);
    const empty = await two().api('POST', '/v1/parks/710/retrieve', { tenant: TENANT, to: 'yc' });
    assert.equal(empty.status, 404);
  });

  it('REST retrieve through instance 2 of a slot owned by instance 1 rings `to` and bridges', async () => {
    await one().api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60, announce: false });
    for (const u of ['za', 'zb', 'zc']) await fx.provision(u);
    const parked = await fx.uas('core-uas-hold.xml', await one().register('zb'), { timeoutSec: 30 });
    const retriever = await fx.uas('core-uas.xml', await two().register('zc'), { timeoutSec: 30 });
    const parker = one().call('core-call-bye-received.xml', 'za', 'zb', { timeoutSec: 20 });
    const call = await one().liveCall();
    assert.equal((await one().api('POST', `/v1/calls/${call.id}/park`, { party: 'callee', slot: '705' })).status, 200);
    assert.equal((await parker).code, 0);
    const r = await two().api('POST', '/v1/parks/705/retrieve', { tenant: TENANT, to: 'zc' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await one().liveCall((c) => c.id === call.id)).caller.user, 'zc');
    assert.equal((await one().api('DELETE', `/v1/calls/${call.id}`)).status, 204);
    assert.equal((await retriever.done).code, 0);
    assert.equal((await parked.done).code, 0);
  });

  it('a slot watched through instance 2 lights up when a call is parked through instance 1 (BLF over the bus)', async () => {
    await one().api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60, announce: false });
    for (const u of ['wa', 'wb', 'ww']) await fx.provision(u);
    const watcher = two().call('core-blf.xml', 'ww', '703', { vars: { caller: 'ww', expires: '4' }, timeoutSec: 20 });
    const parked = await fx.uas('core-uas-held-bye.xml', await one().register('wb'), { durationMs: 1000 });
    const parker = one().call('core-call-bye-received.xml', 'wa', 'wb', { timeoutSec: 20 });
    const call = await one().liveCall();
    assert.equal((await one().api('POST', `/v1/calls/${call.id}/park`, { party: 'callee', slot: '703' })).status, 200);
    assert.equal((await parker).code, 0);
    assert.equal((await parked.done).code, 0);
    const rw = await watcher;
    assert.equal(rw.code, 0, rw.errors);
    const states = rw.events.filter((e) => e.method === 'NOTIFY' && e.status === undefined).map((e) => /<state>(\w+)/.exec(e.message)?.[1] ?? 'none');
    assert.deepEqual(states.slice(0, 3), ['none', 'confirmed', 'terminated']);
  });

  it('pickup across instances: a group pickup dialed through instance 2 takes a call ringing through instance 1', async () => {
    await fx.provision('pa');
    await fx.provision('pb', { callGroups: ['g'] });
    await fx.provision('pc', { pickupGroups: ['g'] });
    const rings = await fx.uas('core-uas-ring.xml', await one().register('pb'));
    const caller = one().call('core-call-bye-received.xml', 'pa', 'pb', { timeoutSec: 20 });
    await waitRinging();
    const picker = await two().call('core-call.xml', 'pc', '*8', { durationMs: 800 });
    assert.equal(picker.code, 0, picker.errors);
    const rb = await rings.done;
    assert.equal(rb.code, 0, rb.errors);
    assert.match(rb.events.find((e) => e.method === 'CANCEL')?.message ?? '', /Reason: SIP;cause=200;text="Call completed elsewhere"/);
    const ra = await caller;
    assert.equal(ra.code, 0, ra.errors);
    assert.deepEqual(flow(ra.events).slice(-2), ['< BYE', '> 200']);
  });

  it('20 REST pickers split over both instances race for one ringing call: exactly one wins', async () => {
    await fx.provision('ra');
    await fx.provision('rb', { callGroups: ['q'] });
    const pickers = Array.from({ length: 20 }, (_, i) => `rp${i}`);
    for (const u of pickers) await fx.provision(u, { pickupGroups: ['q'] });
    const port = await one().register(pickers[0]);
    for (const u of pickers.slice(1)) {
      const r = await one().call('core-register.xml', u, u, { localPort: port, auth: { username: u, password: `pw-${u}` }, vars: { expires: '3600' } });
      assert.equal(r.code, 0, r.errors);
    }
    const phone = await fx.uas('core-uas-ring.xml', port);
    const rings = await fx.uas('core-uas-ring.xml', await one().register('rb'));
    const caller = one().call('core-cancel.xml', 'ra', 'rb', { durationMs: 1500 });
    await waitRinging();
    const results = await Promise.all(pickers.map((by, i) => fx.instances[i % 2].api('POST', '/v1/pickup', { tenant: TENANT, by })));
    assert.equal(results.filter((r) => r.status === 200).length, 1, JSON.stringify(results.map((r) => r.status)));
    assert.equal(results.filter((r) => r.status === 409).length, 19);
    assert.equal((await caller).code, 0);
    assert.equal((await rings.done).code, 0);
    const rp = await phone.done;
    assert.equal(rp.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission).length, 1);
  });

  async function waitRinging(): Promise<void> {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const g = ((await two().api('GET', `/v1/tenants/${TENANT}/ringing`)).body as { groups: Record<string, unknown[]> }).groups;
      if (Object.values(g).some((x) => x.length > 0)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('nothing started ringing');
  }
});
