import assert from 'node:assert/strict';
import { freePort } from '../../support/ports';
import { coreFixture, TENANT, TOKEN } from '../core/fixture';
import type { SseEvent } from '../../../console/src/model/sse-parser';
import { openEvents, type SseClient } from './sse-client';

interface RingingData { tenant: string; callId: string; ringing: boolean; groups: string[] }
interface ConfData { change: string; id: string; tenant: string; host: string; memberCount: number; members: Array<{ id: string; user: string; held: boolean }> }

const data = <T>(e: SseEvent): T => JSON.parse(e.data) as T;

/** GET /v1/events relays pickup's and conference's bus events (issue 20, console views). */
describe('console: pickup and conference events on GET /v1/events', function () {
  this.timeout(60000);
  const fx = coreFixture();
  const open: SseClient[] = [];
  const events = async (): Promise<SseClient> => {
    const c = await openEvents(fx.server().httpPort, TOKEN);
    open.push(c);
    assert.equal(c.status, 200);
    return c;
  };
  afterEach(() => open.splice(0).forEach((c) => c.close()));

  it('pickup.ringing-changed: a call starts ringing in its callee\'s groups (listed by then), and stops when picked up', async () => {
    await fx.provision('eg-a');
    await fx.provision('eg-b', undefined, { callGroups: ['sales', 'desk'] });
    await fx.provision('eg-c', undefined, { pickupGroups: ['sales'] });
    const stream = await events();
    const rings = await fx.uas('core-uas-ring.xml', await fx.register('eg-b'));
    const pickerPhone = await fx.uas('core-uas.xml', await fx.register('eg-c'));
    const caller = fx.call('core-call.xml', 'eg-a', 'eg-b', { durationMs: 1500, timeoutSec: 30 });
    const on = data<RingingData>(await stream.next((e) => e.event === 'pickup.ringing-changed' && data<RingingData>(e).ringing, 20000));
    assert.equal(on.tenant, TENANT);
    assert.deepEqual([...on.groups].sort(), ['desk', 'sales']);
    // the event follows the write: a console that fetches the list on hearing it finds the call
    const listed = (await fx.api('GET', `/v1/tenants/${TENANT}/ringing`)).body as { groups: Record<string, Array<{ callId: string }>> };
    assert.deepEqual(listed.groups.sales?.map((c) => c.callId), [on.callId]);

    assert.equal((await fx.api('POST', '/v1/pickup', { tenant: TENANT, by: 'eg-c' })).status, 200);
    const off = data<RingingData>(await stream.next((e) => e.event === 'pickup.ringing-changed' && !data<RingingData>(e).ringing, 20000));
    assert.equal(off.callId, on.callId);
    const rb = await rings.done;
    assert.equal(rb.code, 0, rb.errors);
    assert.equal((await caller).code, 0);
    assert.equal((await pickerPhone.done).code, 0);
  });

  it('conference.changed: the members after a merge, one removed, then the conference ended', async () => {
    for (const u of ['ec-a', 'ec-b', 'ec-c']) await fx.provision(u);
    const stream = await events();
    const rtp = String(await freePort('udp'));
    const b = await fx.uas('core-uas-reinvite-once.xml', await fx.register('ec-b'), { timeoutSec: 40 });
    const c = await fx.uas('core-uas-reinvite-once.xml', await fx.register('ec-c'), { timeoutSec: 40 });
    // the host keeps its first call (moved into the bridge) for 6 s after the merge, then hangs up
    const first = fx.call('core-call-reinvited-media.xml', 'ec-a', 'ec-b', { vars: { caller: 'ec-a', rtp_port: rtp }, durationMs: 6000, timeoutSec: 40 });
    const one = await fx.liveCall((x) => x.callee.user === 'ec-b' && x.state === 'answered');
    const second = fx.call('core-call-bye-received.xml', 'ec-a', 'ec-c', { timeoutSec: 40 });
    const two = await fx.liveCall((x) => x.callee.user === 'ec-c' && x.state === 'answered');
    const r = await fx.api('POST', '/v1/conferences', { calls: [one.id, two.id] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = (r.body as { id: string }).id;
    const isConf = (pred: (d: ConfData) => boolean) => (e: SseEvent): boolean => e.event === 'conference.changed' && data<ConfData>(e).id === id && pred(data<ConfData>(e));

    const full = data<ConfData>(await stream.next(isConf((d) => d.change === 'changed' && d.members.length === 3)));
    assert.deepEqual([full.tenant, full.host, full.memberCount], [TENANT, 'ec-a', 3]);
    assert.deepEqual(full.members.map((m) => m.user).sort(), ['ec-a', 'ec-b', 'ec-c']);
    assert.ok(full.members.every((m) => m.held === false));

    const cm = full.members.find((m) => m.user === 'ec-c');
    assert.equal((await fx.api('DELETE', `/v1/conferences/${id}/members/${cm?.id}`)).status, 204);
    // heard after the full one (while the merge admitted them one by one, there were two as well)
    const seen = stream.events.length;
    const less = data<ConfData>(await stream.next((e) => stream.events.indexOf(e) >= seen && isConf((d) => d.change === 'changed' && d.members.length === 2)(e)));
    assert.deepEqual(less.members.map((m) => m.user).sort(), ['ec-a', 'ec-b']);
    assert.equal((await c.done).code, 0, 'the removed member got the BYE');

    // the host hangs up (policy "end"): the conference ends
    await stream.next(isConf((d) => d.change === 'ended'), 30000);
    for (const x of [await first, await second, await b.done]) assert.equal(x.code, 0, x.errors);
  });
});
