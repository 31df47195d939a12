import assert from 'node:assert/strict';
import { SlotStore } from '../../../features/park/slots';
import { rtpenginePorts } from '../../support/ng-query';
import { createRtpEndpoint, OTHER, type RtpEndpoint } from '../../support/rtp';
import { testLogger } from '../../support/rtpengine';
import { flow } from '../engine/fixture';
import { coreFixture, TENANT } from '../core/fixture';


/** Call park (service example "Call Park"): park by REST and by REFER, retrieve by dialing the slot. */
describe('park: park and retrieve', function () {
  this.timeout(40000);
  const fx = coreFixture();

  async function parks(): Promise<Array<{ slot: string; parker: string; parked: string }>> {
    return ((await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: Array<{ slot: string; parker: string; parked: string }> }).parks;
  }

  it('REST park: the parked party hears music, the parker is released; dialing the slot retrieves it with one re-INVITE', async () => {
    for (const u of ['pk-a', 'pk-b', 'pk-c']) await fx.provision(u);
    const epB = await createRtpEndpoint();
    try {
      const parked = await fx.uas('core-uas-hold-media.xml', await fx.register('pk-b'), { vars: { rtp_port: String(epB.port) }, timeoutSec: 30 });
      const parker = fx.call('core-call-bye-received.xml', 'pk-a', 'pk-b', { timeoutSec: 20 });
      const id = (await fx.liveCall()).id;
      const r = await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const slot = (r.body as { slot: string }).slot;
      assert.equal(slot, '701', 'the first free slot of the default lot');
      const ra = await parker;
      assert.equal(ra.code, 0, ra.errors);
      assert.deepEqual(flow(ra.events).slice(-2), ['< BYE', '> 200'], 'the parker is released');
      await epB.waitFor(OTHER, 25, 5000);
      assert.deepEqual((await parks()).map((p) => [p.slot, p.parker, p.parked]), [['701', 'pk-a', 'pk-b']]);
      const taken = await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee', slot: '701' });
      assert.equal(taken.status, 409);
      // C dials 701: the parked party hears C, and the music stops
      const epC = await createRtpEndpoint();
      try {
        const retrieving = fx.call('core-call-media.xml', 'pk-c', '701', { vars: { caller: 'pk-c', rtp_port: String(epC.port) }, durationMs: 2500 });
        const live = await fx.liveCall((c) => c.id === id && c.caller.user === 'pk-c');
        const ports = await rtpenginePorts(fx.media().process.ngPort, live.mediaCallId, testLogger());
        const sc = epC.sendTo('127.0.0.1', ports.get(live.caller.tag) ?? 0, { marker: 0x43 });
        await epB.waitFor(0x43, 10, 5000);
        assert.ok(await epB.quietFor(OTHER, 300), 'no more music once retrieved');
        sc.stop();
        const rc = await retrieving;
        assert.equal(rc.code, 0, rc.errors);
      } finally {
        await epC.stop();
      }
      const rb = await parked.done;
      assert.equal(rb.code, 0, rb.errors);
      const reinvites = rb.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission).slice(1);
      assert.equal(reinvites.length, 2, 'one re-INVITE to music, one to the retriever');
      assert.deepEqual(await parks(), []);
    } finally {
      await epB.stop();
    }
  });

  it('the parker hears its slot announced ("parked at 7 0 2", about 3.4 s of speech) before it is released', async () => {
    for (const u of ['pn-a', 'pn-b']) await fx.provision(u);
    const epA = await createRtpEndpoint();
    try {
      await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720 });
      const parked = await fx.uas('core-uas-held-bye.xml', await fx.register('pn-b'), { durationMs: 6000, timeoutSec: 30 });
      const parker = fx.call('core-call-bye-received-media.xml', 'pn-a', 'pn-b', { vars: { caller: 'pn-a', rtp_port: String(epA.port) }, timeoutSec: 20 });
      const id = (await fx.liveCall()).id;
      const heard = epA.received(OTHER);
      const r = await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee', slot: '702' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal((r.body as { slot: string }).slot, '702', 'the REST answer does not wait for the announcement');
      const ra = await parker;
      assert.equal(ra.code, 0, ra.errors);
      const packets = epA.received(OTHER) - heard;
      // 20 ms packets of speech: "your call is parked at" (1.4 s) and three digits, 2.7 s
      // (the pauses between them are silence, one repeated byte, so not counted here)
      assert.ok(packets >= 120 && packets <= 180, `the parker got ${packets} packets of announcement`);
      assert.equal((await parked.done).code, 0, 'the parked party stayed on music, then hung up');
    } finally {
      await epA.stop();
    }
  });

  it('the parker hanging up during the announcement leaves the call parked', async () => {
    for (const u of ['ph-a', 'ph-b']) await fx.provision(u);
    const epA = await createRtpEndpoint();
    try {
      await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720 });
      const parked = await fx.uas('core-uas-held-bye.xml', await fx.register('ph-b'), { durationMs: 4000, timeoutSec: 30 });
      const parker = fx.call('core-call-media.xml', 'ph-a', 'ph-b', { vars: { caller: 'ph-a', rtp_port: String(epA.port) }, durationMs: 1500, timeoutSec: 20 });
      const id = (await fx.liveCall()).id;
      assert.equal((await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee' })).status, 200);
      await epA.waitFor(OTHER, 10, 3000);
      const ra = await parker;
      assert.equal(ra.code, 0, ra.errors);
      assert.deepEqual(flow(ra.events).slice(-2), ['> BYE', '< 200'], 'the parker hung up itself');
      assert.deepEqual((await parks()).map((p) => p.parked), ['ph-b'], 'still parked');
      assert.equal((await parked.done).code, 0, 'the parked party stayed on music, then hung up');
    } finally {
      await epA.stop();
    }
  });

  it('with announce off the parker is released at once', async () => {
    for (const u of ['po-a', 'po-b']) await fx.provision(u);
    const epA = await createRtpEndpoint();
    try {
      await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, announce: false });
      const parked = await fx.uas('core-uas-held-bye.xml', await fx.register('po-b'), { durationMs: 1500, timeoutSec: 30 });
      const parker = fx.call('core-call-bye-received-media.xml', 'po-a', 'po-b', { vars: { caller: 'po-a', rtp_port: String(epA.port) }, timeoutSec: 20 });
      const id = (await fx.liveCall()).id;
      const heard = epA.received(OTHER);
      assert.equal((await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee' })).status, 200);
      assert.equal((await parker).code, 0);
      assert.ok(epA.received(OTHER) - heard < 20, `no announcement, yet ${epA.received(OTHER) - heard} packets`);
      assert.equal((await parked.done).code, 0);
    } finally {
      await epA.stop();
    }
  });

  it('park by REFER to the park extension (service example "Call Park"): 202, NOTIFY with the slot, parker released, the parked party hears music', async () => {
    for (const u of ['pr-a', 'pr-b']) await fx.provision(u);
    const epB = await createRtpEndpoint();
    try {
      // the parked phone stays on music 8 s, then hangs up
      const parked = await fx.uas('core-uas-held-bye-media.xml', await fx.register('pr-b'), { vars: { rtp_port: String(epB.port) }, durationMs: 8000 });
      const music = epB.waitFor(OTHER, 25, 10000);
      const ra = await fx.call('core-park-refer.xml', 'pr-a', 'pr-b', { vars: { caller: 'pr-a', park_to: '700' } });
      assert.equal(ra.code, 0, ra.errors);
      await music;
      await parkedByRefer(ra, parked);
    } finally {
      await epB.stop();
    }
  });

  async function parkedByRefer(ra: Awaited<ReturnType<typeof fx.call>>, parked: Awaited<ReturnType<typeof fx.uas>>): Promise<void> {
    const notify = ra.events.find((e) => e.dir === 'received' && e.method === 'NOTIFY' && e.status === undefined);
    assert.match(notify?.message ?? '', /\r\n\r\nSIP\/2\.0 200 Parked at 70\d/);
    assert.match(notify?.message ?? '', /Content-Type: message\/sipfrag/i);
    assert.deepEqual(flow(ra.events).slice(-2), ['< BYE', '> 200']);
    assert.equal((await parks()).length, 1);
    // the parked party hangs up: the slot is free at once
    assert.equal((await parked.done).code, 0);
    const deadline = Date.now() + 3000;
    while ((await parks()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(await parks(), []);
  }

  it('a REFER to a taken slot fails with a NOTIFY saying so, and the call stays as it was', async () => {
    for (const u of ['pt-a', 'pt-b', 'pt-c', 'pt-d']) await fx.provision(u);
    const first = await fx.uas('core-uas-held-bye.xml', await fx.register('pt-b'), { durationMs: 3000 });
    const p1 = await fx.call('core-park-refer.xml', 'pt-a', 'pt-b', { vars: { caller: 'pt-a', park_to: '705' } });
    assert.equal(p1.code, 0, p1.errors);
    const second = await fx.uas('core-uas.xml', await fx.register('pt-d'));
    const r2 = await fx.call('core-park-refer-fail.xml', 'pt-c', 'pt-d', { vars: { caller: 'pt-c', park_to: '705' }, durationMs: 300 });
    assert.equal(r2.code, 0, r2.errors);
    const notify = r2.events.find((e) => e.dir === 'received' && e.method === 'NOTIFY' && e.status === undefined);
    assert.match(notify?.message ?? '', /SIP\/2\.0 486 Slot 705 Busy/);
    assert.ok(!flow(r2.events).includes('< BYE'), 'the parker was not released');
    assert.deepEqual(flow(r2.events).slice(-2), ['> BYE', '< 200'], 'the call went on until the caller hung up');
    assert.equal((await second.done).code, 0);
    assert.equal((await first.done).code, 0);
  });

  it('dialing an empty slot gets 404', async () => {
    await fx.provision('pe-a');
    const r = await fx.call('core-expect-final.xml', 'pe-a', '712');
    assert.equal([...r.events].reverse().find((e) => e.dir === 'received' && (e.status ?? 0) >= 200)?.status, 404);
  });

  it('50 concurrent parks into a 20-slot lot: 20 distinct slots, 30 refused', async () => {
    // in the name of the running server (its default INSTANCE_ID, lib/config.ts) and parked
    // now: an owner that is gone, or an entry older than the server, is taken over by the
    // server's once-a-second sweep (takeover.ts), which freed slots under this test at random
    const owner = process.env.INSTANCE_ID || `fs-${process.pid}`;
    const store = new SlotStore(fx.redis().client, owner);
    const slots = Array.from({ length: 20 }, (_x, i) => String(801 + i));
    const results = await Promise.all(Array.from({ length: 50 }, (_x, i) => store.take('race.example', slots, {
      callId: `c${i}`, instanceId: owner, tenant: 'race.example', parkedUser: 'u', parker: 'p', parkedAt: Date.now(), timeoutAt: 0,
    }, 60000)));
    const taken = results.filter((s): s is string => s !== undefined);
    assert.equal(taken.length, 20);
    assert.equal(new Set(taken).size, 20);
    for (let i = 0; i < 50; i++) if (results[i]) assert.ok(await store.free('race.example', results[i] as string, `c${i}`));
    assert.deepEqual(await store.list('race.example', slots), []);
  });
});

describe('park: timeout, comeback, fallback, REST retrieve', function () {
  this.timeout(40000);
  const fx = coreFixture();

  async function until(what: string, pred: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10000;
    while (!(await pred())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const partyOf = async (id: string, side: 'caller' | 'callee'): Promise<string | undefined> =>
    ((await fx.api('GET', `/v1/calls/${id}`)).body as Record<string, { user: string }>)[side]?.user;

  it('after the lot timeout the call comes back to the parker, all of its phones at once (the ring step): the first to answer gets it, showing the parked party; the other is cancelled', async () => {
    // a comeback ring time longer than the wait below: phones rung one after the other
    // would never reach the second phone in time
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 1, comebackTimeout: 30 })).status, 200);
    for (const u of ['tc-a', 'tc-b']) await fx.provision(u);
    const ringing = await fx.uas('core-uas-ring.xml', await fx.register('tc-a'), { timeoutSec: 30 });
    const back = await fx.uas('core-uas.xml', await fx.register('tc-a'));
    const parked = await fx.uas('core-uas-hold.xml', await fx.register('tc-b'));
    const parker = fx.call('core-call-bye-received.xml', 'tc-a', 'tc-b', { timeoutSec: 20 });
    const id = (await fx.liveCall()).id;
    assert.equal((await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee' })).status, 200);
    assert.equal((await parker).code, 0);
    await until('the comeback', async () => (await partyOf(id, 'caller')) === 'tc-a' && (await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).status === 200
      && ((await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: unknown[] }).parks.length === 0
      && (await fx.dialogs()) === 2);
    const rr = await ringing.done;
    assert.equal(rr.code, 0, `the other phone rang and got CANCEL: ${rr.errors}`);
    assert.match(rr.events.find((e) => e.method === 'CANCEL')?.message ?? '', /^Reason: SIP;cause=200;text="Call completed elsewhere"/m);
    assert.equal((await fx.api('DELETE', `/v1/calls/${id}`)).status, 204);
    const rb = await back.done;
    assert.equal(rb.code, 0, rb.errors);
    const invite = rb.events.find((e) => e.method === 'INVITE' && e.status === undefined)?.message ?? '';
    assert.match(invite, /^From: "tc-b" <sip:tc-b@127\.0\.0\.1>/m, 'Caller-ID shows the parked party');
    assert.match(invite, /^m=audio [1-9]\d* RTP\/AVP /m, 'the phones are offered the parked party\'s media (rtpengine)');
    assert.match(invite, /^a=sendrecv\r?$/m, 'a two-way call, not the music\'s one-way media');
    assert.equal((await parked.done).code, 0);
  });

  it('when the parker does not answer the comeback, the lot\'s fallback gets the call', async () => {
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 1, comebackTimeout: 1, fallback: 'fb-f' })).status, 200);
    for (const u of ['fb-a', 'fb-b', 'fb-f']) await fx.provision(u);
    const noAnswer = await fx.uas('core-uas-ring.xml', await fx.register('fb-a'));
    const fallback = await fx.uas('core-uas.xml', await fx.register('fb-f'));
    const parked = await fx.uas('core-uas-hold.xml', await fx.register('fb-b'));
    const parker = fx.call('core-call-bye-received.xml', 'fb-a', 'fb-b', { timeoutSec: 20 });
    const id = (await fx.liveCall()).id;
    assert.equal((await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee' })).status, 200);
    assert.equal((await parker).code, 0);
    await until('the fallback', async () => (await partyOf(id, 'caller')) === 'fb-f' && (await fx.dialogs()) === 2);
    assert.equal((await noAnswer.done).code, 0, 'the parker\'s phone rang and was cancelled');
    assert.equal((await fx.api('DELETE', `/v1/calls/${id}`)).status, 204);
    assert.equal((await fallback.done).code, 0);
    assert.equal((await parked.done).code, 0);
  });

  it('REST retrieve: POST /v1/parks/{slot}/retrieve calls `to` and bridges on answer; the parked party hears music until then, the retriever after; an empty slot is 404', async () => {
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60 })).status, 200);
    for (const u of ['rr-a', 'rr-b', 'rr-c']) await fx.provision(u);
    const [epB, epC] = [await createRtpEndpoint(), await createRtpEndpoint()];
    try {
      await restRetrieve(epB, epC);
    } finally {
      await epB.stop();
      await epC.stop();
    }
  });

  async function restRetrieve(epB: RtpEndpoint, epC: RtpEndpoint): Promise<void> {
    const retriever = await fx.uas('core-uas-media.xml', await fx.register('rr-c'), { vars: { rtp_port: String(epC.port) } });
    const parked = await fx.uas('core-uas-hold-media.xml', await fx.register('rr-b'), { vars: { rtp_port: String(epB.port) }, timeoutSec: 30 });
    const parker = fx.call('core-call-bye-received.xml', 'rr-a', 'rr-b', { timeoutSec: 20 });
    const id = (await fx.liveCall()).id;
    const slot = ((await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee', slot: '715' })).body as { slot: string }).slot;
    assert.equal(slot, '715');
    assert.equal((await parker).code, 0);
    await epB.waitFor(OTHER, 25, 5000);
    const r = await fx.api('POST', '/v1/parks/715/retrieve', { tenant: TENANT, to: 'rr-c' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(await partyOf(id, 'caller'), 'rr-c');
    // the retriever talks: the parked party hears it, and no more music. The retriever's
    // leg is a 3pcc leg (RFC 3725) of the call's media session: its rtpengine tag is the
    // leg's own, the one that is not the parked party's
    const live = await fx.liveCall((c) => c.id === id && c.caller.user === 'rr-c');
    const ports = await rtpenginePorts(fx.media().process.ngPort, live.mediaCallId, testLogger());
    const port = [...ports.entries()].find(([t]) => t !== live.callee.tag)?.[1];
    assert.ok(port, `no rtpengine port for the retriever's leg: ${JSON.stringify([...ports])}`);
    const sc = epC.sendTo('127.0.0.1', port, { marker: 0x43 });
    try {
      await epB.waitFor(0x43, 10, 5000);
      assert.ok(await epB.quietFor(OTHER, 300), 'no more music once retrieved');
    } finally {
      sc.stop();
    }
    const empty = await fx.api('POST', '/v1/parks/715/retrieve', { tenant: TENANT, to: 'rr-c' });
    assert.equal(empty.status, 404);
    assert.equal((empty.body as { code: string }).code, 'E_PARK_SLOT_EMPTY');
    assert.equal((await fx.api('DELETE', `/v1/calls/${id}`)).status, 204);
    assert.equal((await retriever.done).code, 0);
    assert.equal((await parked.done).code, 0);
  }
});

describe('park: BLF for slots (RFC 4235 dialog-info)', function () {
  this.timeout(40000);
  const fx = coreFixture();

  it('a SUBSCRIBE to a slot hears it empty, occupied (confirmed), freed (terminated), then the subscription ends', async () => {
    for (const u of ['bl-w', 'bl-a', 'bl-b']) await fx.provision(u);
    const watcher = fx.call('core-blf.xml', 'bl-w', '703', { vars: { caller: 'bl-w', expires: '6' }, timeoutSec: 20 });
    const deadline = Date.now() + 5000;
    while ((await fx.dialogs()) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const parked = await fx.uas('core-uas-held-bye.xml', await fx.register('bl-b'), { durationMs: 1000 });
    const parker = fx.call('core-call-bye-received.xml', 'bl-a', 'bl-b', { timeoutSec: 20 });
    const id = (await fx.liveCall()).id;
    assert.equal((await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee', slot: '703' })).status, 200);
    assert.equal((await parker).code, 0);
    assert.equal((await parked.done).code, 0);
    const r = await watcher;
    assert.equal(r.code, 0, r.errors);
    const notifies = r.events.filter((e) => e.dir === 'received' && e.method === 'NOTIFY' && e.status === undefined && !e.retransmission).map((e) => e.message);
    assert.equal(notifies.length, 4);
    assert.doesNotMatch(notifies[0], /<dialog /, 'empty at first');
    assert.match(notifies[1], /<state>confirmed<\/state>/);
    assert.match(notifies[1], /entity="sip:703@127\.0\.0\.1"/);
    assert.match(notifies[2], /<state>terminated<\/state>/);
    assert.match(notifies[3], /Subscription-State: terminated/i);
    const versions = notifies.slice(0, 3).map((m) => Number(/version="(\d+)"/.exec(m)?.[1]));
    assert.deepEqual(versions, [0, 1, 2], 'RFC 4235 4.1: the version grows with each NOTIFY');
  });
});
