import assert from 'node:assert/strict';
import { TENANT } from '../core/fixture';
import { clusterFixture } from './fixture';

interface Listed {
  id: string;
  instanceId: string;
  held?: { caller?: string; callee?: string };
}

/**
 * Issue 14 item 7: an operation on a call owned by another instance is run by that
 * instance (lib/bus), whichever instance the REST client reached.
 */
describe('cluster: call operations through the owning instance', function () {
  this.timeout(60000);
  const fx = clusterFixture(2);
  const one = (): (typeof fx.instances)[number] => fx.instances[0];
  const two = (): (typeof fx.instances)[number] => fx.instances[1];
  const listed = async (id: string): Promise<Listed | undefined> =>
    ((await two().api('GET', '/v1/calls')).body as { calls: Listed[] }).calls.find((c) => c.id === id);
  const invitesTo = (events: Array<{ dir: string; method?: string; status?: number; retransmission?: boolean }>): number =>
    events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission).length;

  it('hold, resume and hang-up through instance 2 of a call owned by instance 1; GET /v1/calls shows who holds', async () => {
    await fx.provision('ha');
    await fx.provision('hb');
    const callee = await fx.uas('core-uas-hold.xml', await one().register('hb'), { timeoutSec: 30 });
    const caller = one().call('core-call-bye-received.xml', 'ha', 'hb', { timeoutSec: 30 });
    const { id } = await one().liveCall();
    assert.equal((await listed(id))?.instanceId, 'fs-1');

    const hold = await two().api('POST', `/v1/calls/${id}/hold`, { party: 'callee' });
    assert.equal(hold.status, 204, JSON.stringify(hold.body));
    // the callee hears music: the caller is the party that holds (as when its phone sends a=sendonly)
    const held = (await listed(id))?.held;
    assert.equal(typeof held?.caller, 'string', JSON.stringify(held));
    assert.equal(held?.callee, undefined, JSON.stringify(held));
    const again = await two().api('POST', `/v1/calls/${id}/hold`, { party: 'callee' });
    assert.deepEqual([again.status, (again.body as { code: string }).code], [409, 'E_ALREADY_ON_HOLD'], "the owner's own answer");

    assert.equal((await two().api('POST', `/v1/calls/${id}/resume`)).status, 204);
    assert.equal((await listed(id))?.held, undefined);

    assert.equal((await two().api('DELETE', `/v1/calls/${id}`)).status, 204);
    const rb = await callee.done;
    assert.equal(rb.code, 0, rb.errors);
    assert.equal(invitesTo(rb.events), 3, 'the call, the music, the reconnection');
    const ra = await caller;
    assert.equal(ra.code, 0, ra.errors);
    assert.equal((await two().api('DELETE', `/v1/calls/${id}`)).status, 404);
  });

  it('REST pickup through instance 2 of a call ringing through instance 1: the owner rings the picker (op pickup.ring-for)', async () => {
    await fx.provision('qa');
    await fx.provision('qb', { callGroups: ['h'] });
    await fx.provision('qc', { pickupGroups: ['h'] });
    const rings = await fx.uas('core-uas-ring.xml', await one().register('qb'));
    const picker = await fx.uas('core-uas.xml', await two().register('qc'), { timeoutSec: 30 });
    const caller = one().call('core-call-bye-received.xml', 'qa', 'qb', { timeoutSec: 30 });
    const deadline = Date.now() + 5000;
    for (;;) {
      const g = ((await two().api('GET', `/v1/tenants/${TENANT}/ringing`)).body as { groups: Record<string, unknown[]> }).groups;
      if (Object.values(g).some((x) => x.length > 0)) break;
      if (Date.now() > deadline) throw new Error('nothing started ringing');
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await two().api('POST', '/v1/pickup', { tenant: TENANT, by: 'qc' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const call = await one().liveCall((c) => c.state === 'answered');
    assert.equal((await two().api('DELETE', `/v1/calls/${call.id}`)).status, 204);
    assert.equal((await rings.done).code, 0);
    const rc = await picker.done;
    assert.equal(rc.code, 0, rc.errors);
    assert.equal(invitesTo(rc.events), 1);
    assert.equal((await caller).code, 0);
  });
});
