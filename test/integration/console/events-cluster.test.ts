import assert from 'node:assert/strict';
import { TENANT, TOKEN } from '../core/fixture';
import { clusterFixture } from '../cluster/fixture';
import { openEvents, type SseClient } from './sse-client';

interface CallData { change: string; id: string; caller: { user: string }; instanceId: string }

/** GET /v1/events on one instance carries the calls and park slots of another (the instance bus). */
describe('console: GET /v1/events across instances', function () {
  this.timeout(60000);
  const fx = clusterFixture(2);
  let stream: SseClient | undefined;
  afterEach(() => stream?.close());

  it('instance 2\'s stream hears a call of instance 1 answered, parked and ended', async () => {
    const [one, two] = fx.instances;
    stream = await openEvents(two.server.httpPort, TOKEN);
    assert.equal(stream.status, 200);
    for (const u of ['ec-a', 'ec-b']) await fx.provision(u);
    const parked = await fx.uas('core-uas-reinvite-once.xml', await one.register('ec-b'), { timeoutSec: 30 });
    const parker = one.call('core-call-bye-received.xml', 'ec-a', 'ec-b', { timeoutSec: 30 });
    const id = (await one.liveCall()).id;
    const data = (e: { data: string }): CallData => JSON.parse(e.data) as CallData;
    const answered = data(await stream.next((e) => e.event === 'call' && data(e).id === id && data(e).change === 'answered'));
    assert.equal(answered.caller.user, 'ec-a');
    assert.notEqual(answered.instanceId, '', 'the owner is named');
    assert.equal((await one.api('POST', `/v1/calls/${id}/park`, { party: 'callee' })).status, 200);
    const slot = await stream.next((e) => e.event === 'park.slot-changed');
    assert.deepEqual(JSON.parse(slot.data), { tenant: TENANT, slot: (JSON.parse(slot.data) as { slot: string }).slot, occupied: true });
    assert.equal((await parker).code, 0);
    assert.equal((await one.api('DELETE', `/v1/calls/${id}`)).status, 204);
    await stream.next((e) => e.event === 'call' && data(e).id === id && data(e).change === 'ended');
    assert.equal((await parked.done).code, 0);
  });
});
