import assert from 'node:assert/strict';
import type { SippResult } from '../../support/sipp';
import { coreFixture, TENANT } from '../core/fixture';

interface Park {
  slot: string;
  parker: string;
  parked: string;
  state: string;
}

/**
 * A park slot's state machine seen from outside (features/park/slot-state.ts): a retrieve
 * that fails leaves the call parked, and of two retrieves of one slot exactly one runs.
 */
describe('park: failed and concurrent retrieves', function () {
  this.timeout(60000);
  const fx = coreFixture();

  async function parks(): Promise<Park[]> {
    return ((await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: Park[] }).parks;
  }

  async function until(what: string, pred: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 15000;
    while (!(await pred())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const finalStatus = (r: SippResult): number | undefined => [...r.events].reverse().find((e) => e.dir === 'received' && (e.status ?? 0) >= 200)?.status;

  for (const refuse of [488, 500]) {
    it(`a retrieve whose re-INVITE the parked party refuses (${refuse}) leaves the call parked: listed, and its timeout still fires`, async () => {
      const [a, b, c] = ['a', 'b', 'c'].map((x) => `rf${refuse}-${x}`);
      for (const u of [a, b, c]) await fx.provision(u);
      assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 6, announce: false })).status, 200);
      const parked = await fx.uas('core-uas-parked-refuses.xml', await fx.register(b), { vars: { refuse: String(refuse) }, timeoutSec: 40 });
      const parker = fx.call('core-call-bye-received.xml', a, b, { timeoutSec: 20 });
      const id = (await fx.liveCall()).id;
      const r = await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee', slot: '706' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal((await parker).code, 0);
      const parkedAt = Date.now();
      const rc = await fx.call('core-expect-final.xml', c, '706');
      assert.equal(rc.code, 0, rc.errors);
      assert.equal(finalStatus(rc), refuse === 488 ? 488 : 480, 'the retriever hears why');
      assert.deepEqual((await parks()).map((p) => [p.slot, p.parker, p.parked, p.state]), [['706', a, b, 'parked']], 'still parked in its slot');
      assert.equal((await fx.api('GET', `/v1/calls/${id}`)).status, 200, 'the call is up');
      // the lot's timeout: the parker has no phone and the lot no fallback, so the call is hung up
      const rb = await parked.done;
      assert.equal(rb.code, 0, rb.errors);
      assert.ok(Date.now() - parkedAt >= 4000, 'the BYE came with the timeout, not with the failed retrieve');
      assert.deepEqual(await parks(), []);
    });
  }

  it('two retrieves of one slot by dialing it: one gets the call, the other 486 while the first is under way', async () => {
    for (const u of ['rc-a', 'rc-b', 'rc-c', 'rc-d']) await fx.provision(u);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60, announce: false })).status, 200);
    // the parked phone takes 1.5 s to answer each re-INVITE
    const parked = await fx.uas('core-uas-parked-slow.xml', await fx.register('rc-b'), { durationMs: 1500, timeoutSec: 40 });
    const parker = fx.call('core-call-bye-received.xml', 'rc-a', 'rc-b', { timeoutSec: 20 });
    const id = (await fx.liveCall()).id;
    assert.equal((await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee', slot: '707' })).status, 200);
    assert.equal((await parker).code, 0);
    const first = fx.call('core-call.xml', 'rc-c', '707', { durationMs: 300, timeoutSec: 20 });
    await until('the first retrieve under way', async () => (await parks()).some((p) => p.slot === '707' && p.state === 'retrieving'));
    const second = await fx.call('core-expect-final.xml', 'rc-d', '707');
    assert.equal(second.code, 0, second.errors);
    assert.equal(finalStatus(second), 486);
    const r1 = await first;
    assert.equal(r1.code, 0, r1.errors);
    const rb = await parked.done;
    assert.equal(rb.code, 0, rb.errors);
    assert.deepEqual(await parks(), []);
  });

  it('a retriever that gives up while the parked party is being moved to it: the party goes back to music, the call stays parked', async () => {
    for (const u of ['rg-a', 'rg-b', 'rg-c']) await fx.provision(u);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60, announce: false })).status, 200);
    // the parked phone takes 1.5 s to answer each re-INVITE; the retriever cancels after 0.5 s
    const parked = await fx.uas('core-uas-parked-slow.xml', await fx.register('rg-b'), { durationMs: 1500, timeoutSec: 40 });
    const parker = fx.call('core-call-bye-received.xml', 'rg-a', 'rg-b', { timeoutSec: 20 });
    const id = (await fx.liveCall()).id;
    assert.equal((await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee', slot: '710' })).status, 200);
    assert.equal((await parker).code, 0);
    const rc = await fx.call('core-cancel-trying.xml', 'rg-c', '710', { durationMs: 500, timeoutSec: 20 });
    assert.equal(rc.code, 0, rc.errors);
    await until('the call parked again', async () => (await parks()).some((p) => p.slot === '710' && p.state === 'parked'));
    assert.equal((await fx.api('DELETE', `/v1/calls/${id}`)).status, 204);
    const rb = await parked.done;
    assert.equal(rb.code, 0, rb.errors);
    const offers = rb.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission).map((e) => e.message);
    assert.equal(offers.length, 4, 'the INVITE, to music, to the retriever, back to music');
    const port = (m: string): string | undefined => /^m=audio (\d+)/m.exec(m)?.[1];
    assert.equal(port(offers[3]), port(offers[1]), 'back on the music session it left');
    assert.deepEqual(await parks(), []);
  });

  it('two REST retrieves of one slot: the second gets 409 while the first rings; nobody answers and the call stays parked', async () => {
    for (const u of ['rs-a', 'rs-b', 'rs-c']) await fx.provision(u);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60, comebackTimeout: 3, announce: false })).status, 200);
    const ringing = await fx.uas('core-uas-ring.xml', await fx.register('rs-c'), { timeoutSec: 30 });
    const parked = await fx.uas('core-uas-parked-slow.xml', await fx.register('rs-b'), { durationMs: 100, timeoutSec: 40 });
    const parker = fx.call('core-call-bye-received.xml', 'rs-a', 'rs-b', { timeoutSec: 20 });
    const id = (await fx.liveCall()).id;
    assert.equal((await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee', slot: '708' })).status, 200);
    assert.equal((await parker).code, 0);
    const first = fx.api('POST', '/v1/parks/708/retrieve', { tenant: TENANT, to: 'rs-c' });
    await until('the first retrieve under way', async () => (await parks()).some((p) => p.slot === '708' && p.state === 'retrieving'));
    const second = await fx.api('POST', '/v1/parks/708/retrieve', { tenant: TENANT, to: 'rs-c' });
    assert.equal(second.status, 409, JSON.stringify(second.body));
    assert.equal((second.body as { code: string }).code, 'E_PARK_SLOT_BUSY');
    const r1 = await first;
    assert.equal(r1.status, 409, JSON.stringify(r1.body));
    assert.equal((r1.body as { code: string }).code, 'E_PARK_NO_ANSWER');
    assert.deepEqual((await parks()).map((p) => [p.slot, p.parked, p.state]), [['708', 'rs-b', 'parked']]);
    assert.equal((await ringing.done).code, 0, 'the ringing phone was cancelled');
    assert.equal((await fx.api('DELETE', `/v1/calls/${id}`)).status, 204);
    assert.equal((await parked.done).code, 0);
  });
});
