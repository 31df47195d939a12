import assert from 'node:assert/strict';
import { rtpenginePorts } from '../../support/ng-query';
import { createRtpEndpoint, type RtpEndpoint } from '../../support/rtp';
import { testLogger } from '../../support/rtpengine';
import type { SippResult } from '../../support/sipp';
import { coreFixture, TENANT } from '../core/fixture';

/** The last final response a caller got (core-expect-final.xml). */
function finalOf(r: SippResult): number | undefined {
  return r.events.filter((e) => e.dir === 'received' && e.status !== undefined && e.status >= 200).at(-1)?.status;
}

const A = 0x31;
const C = 0x33;

/** The CANCEL the ringing phone got, from its sipp trace. */
function cancelOf(r: SippResult): string {
  return r.events.find((e) => e.dir === 'received' && e.method === 'CANCEL' && e.status === undefined)?.message ?? '';
}

/** Pickup groups (service example "Call Pickup"): group, directed, REST; refusals and races. */
describe('pickup: group, directed and REST pickup', function () {
  this.timeout(40000);
  const fx = coreFixture();
  const endpoints: RtpEndpoint[] = [];
  afterEach(async () => {
    for (const e of endpoints.splice(0)) await e.stop();
  });
  async function endpoint(): Promise<RtpEndpoint> {
    const e = await createRtpEndpoint();
    endpoints.push(e);
    return e;
  }
  /** users: the callee in call group `sales`, pickers allowed (or not) to pick from it */
  async function office(prefix: string): Promise<void> {
    await fx.provision(`${prefix}-a`);
    await fx.provision(`${prefix}-b`, undefined, { callGroups: ['sales'] });
    await fx.provision(`${prefix}-c`, undefined, { pickupGroups: ['sales'] });
    await fx.provision(`${prefix}-x`, undefined, { pickupGroups: ['support'] });
  }
  async function ringing(n = 1): Promise<Record<string, Array<{ callId: string; callee: string }>>> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const body = (await fx.api('GET', `/v1/tenants/${TENANT}/ringing`)).body as { groups: Record<string, Array<{ callId: string; callee: string }>> };
      const count = Object.values(body.groups).reduce((k, g) => k + g.length, 0);
      if (count >= n || Date.now() > deadline) return body.groups;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  for (const how of ['group (*8)', 'directed (**<ext>)'] as const) {
    it(`${how}: the picker gets the caller, with media both ways; the ringing phone is cancelled "completed elsewhere"`, async () => {
      const p = how.startsWith('group') ? 'pg' : 'pd';
      await office(p);
      const [epA, epC] = [await endpoint(), await endpoint()];
      const rings = await fx.uas('core-uas-ring.xml', await fx.register(`${p}-b`));
      const caller = fx.call('core-call-media.xml', `${p}-a`, `${p}-b`, { vars: { caller: `${p}-a`, rtp_port: String(epA.port) }, durationMs: 3000 });
      const groups = await ringing();
      assert.deepEqual(groups.sales?.map((c) => c.callee), [`${p}-b`]);
      const dialed = how.startsWith('group') ? '*8' : `**${p}-b`;
      const picker = fx.call('core-call-bye-received-media.xml', `${p}-c`, dialed, { vars: { caller: `${p}-c`, rtp_port: String(epC.port) }, timeoutSec: 20 });
      const rb = await rings.done;
      assert.equal(rb.code, 0, rb.errors);
      assert.match(cancelOf(rb), /^Reason: SIP;cause=200;text="Call completed elsewhere"/m);
      const live = await fx.liveCall();
      assert.deepEqual([live.caller.user, live.callee.user], [`${p}-a`, `${p}-c`]);
      // the caller hears the picker and the picker the caller, through rtpengine
      const ports = await rtpenginePorts(fx.media().process.ngPort, live.mediaCallId, testLogger());
      const sa = epA.sendTo('127.0.0.1', ports.get(live.caller.tag) ?? 0, { marker: A });
      const sc = epC.sendTo('127.0.0.1', ports.get(live.callee.tag) ?? 0, { marker: C });
      await epC.waitFor(A, 10, 5000);
      await epA.waitFor(C, 10, 5000);
      sa.stop();
      sc.stop();
      const ra = await caller;
      assert.equal(ra.code, 0, ra.errors);
      assert.equal((await picker).code, 0);
      assert.deepEqual(await ringing(0), {});
    });
  }

  it('REST pickup: the picker\'s phone rings and takes the call; the ringing phone is cancelled', async () => {
    await office('pr');
    const rings = await fx.uas('core-uas-ring.xml', await fx.register('pr-b'));
    const pickerPhone = await fx.uas('core-uas.xml', await fx.register('pr-c'));
    const caller = fx.call('core-call.xml', 'pr-a', 'pr-b', { durationMs: 1500 });
    await ringing();
    const r = await fx.api('POST', '/v1/pickup', { tenant: TENANT, by: 'pr-c' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((r.body as { caller: string }).caller, 'pr-a');
    const rb = await rings.done;
    assert.equal(rb.code, 0, rb.errors);
    assert.match(cancelOf(rb), /^Reason: SIP;cause=200;text="Call completed elsewhere"/m);
    assert.equal((await caller).code, 0);
    assert.equal((await pickerPhone.done).code, 0, 'the picker\'s phone answered and got the BYE');
  });

  it('refusals: a picker outside the call\'s groups gets 403 (REST 403), nothing ringing gets 404 (REST 404); the call rings on', async () => {
    await office('pf');
    const rings = await fx.uas('core-uas-ring.xml', await fx.register('pf-b'));
    const caller = fx.call('core-cancel.xml', 'pf-a', 'pf-b', { durationMs: 2500 });
    await ringing();
    const refused = await fx.call('core-expect-final.xml', 'pf-x', '**pf-b');
    assert.equal(finalOf(refused), 403, 'directed pickup outside the pickup groups');
    const nothing = await fx.call('core-expect-final.xml', 'pf-x', '*8');
    assert.equal(finalOf(nothing), 404, 'nothing rings in the picker\'s groups');
    const rest = await fx.api('POST', '/v1/pickup', { tenant: TENANT, by: 'pf-x', target: 'pf-b' });
    assert.equal(rest.status, 403);
    assert.equal((rest.body as { code: string }).code, 'E_PICKUP_FORBIDDEN');
    const none = await fx.api('POST', '/v1/pickup', { tenant: TENANT, by: 'pf-c', target: 'pf-a' });
    assert.equal(none.status, 404);
    assert.equal((none.body as { code: string }).code, 'E_PICKUP_NOTHING_RINGING');
    assert.equal((await ringing()).sales?.length, 1, 'still ringing, still pickable');
    assert.equal((await caller).code, 0);
    assert.equal((await rings.done).code, 0);
  });

  it('20 concurrent REST pickers on one ringing call: exactly one wins, 19 get 409', async () => {
    await fx.provision('rc-a');
    await fx.provision('rc-b', undefined, { callGroups: ['ops'] });
    const pickers = Array.from({ length: 20 }, (_, i) => `rc-p${i}`);
    for (const u of pickers) await fx.provision(u, undefined, { pickupGroups: ['ops'] });
    // every picker's phone registers from one port: one ringing sipp answers for whoever wins
    const port = await fx.register(pickers[0]);
    for (const u of pickers.slice(1)) await fx.register(u, { port });
    const phone = await fx.uas('core-uas-ring.xml', port);
    const rings = await fx.uas('core-uas-ring.xml', await fx.register('rc-b'));
    const caller = fx.call('core-cancel.xml', 'rc-a', 'rc-b', { durationMs: 1500 });
    await ringing();
    const results = await Promise.all(pickers.map((by) => fx.api('POST', '/v1/pickup', { tenant: TENANT, by })));
    const won = results.filter((r) => r.status === 200);
    const lost = results.filter((r) => r.status === 409);
    assert.equal(won.length, 1, JSON.stringify(results.map((r) => [r.status, r.body])));
    assert.equal(lost.length, 19);
    for (const r of lost) assert.equal((r.body as { code: string }).code, 'E_PICKUP_LOST');
    // the caller cancels; the winner's phone (ringing) is cancelled with it, the others never rang
    const ra = await caller;
    assert.equal(ra.code, 0, ra.errors);
    const rb = await rings.done;
    assert.equal(rb.code, 0, rb.errors);
    const rp = await phone.done;
    assert.equal(rp.code, 0, rp.errors);
    const invites = rp.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission);
    assert.equal(invites.length, 1, 'only the winner\'s phone rang');
    assert.match(invites[0].message, new RegExp(`^INVITE sip:${(won[0].body as { by: string }).by}@`));
  });
});

describe('pickup: BLF (RFC 4235) and INVITE with Replaces (RFC 3891)', function () {
  this.timeout(40000);
  const fx = coreFixture();

  it('a BLF key picks up: the early NOTIFY\'s call-id and tags make the Replaces, the picker gets the call', async () => {
    await fx.provision('bp-a');
    await fx.provision('bp-b', undefined, { callGroups: ['desk'] });
    await fx.provision('bp-c', undefined, { pickupGroups: ['desk'] });
    const rings = await fx.uas('core-uas-ring.xml', await fx.register('bp-b'));
    const picker = fx.call('core-blf-pickup.xml', 'bp-c', 'bp-b', { vars: { caller: 'bp-c' }, durationMs: 800, timeoutSec: 20 });
    const caller = fx.call('core-call-bye-received.xml', 'bp-a', 'bp-b', { timeoutSec: 20 });
    const rc = await picker;
    assert.equal(rc.code, 0, rc.errors);
    const invite = rc.events.filter((e) => e.dir === 'sent' && e.method === 'INVITE' && e.status === undefined).at(-1)?.message ?? '';
    // the NOTIFY the phone built its Replaces from: an early dialog with the ringing leg's ids
    const early = rc.events.filter((e) => e.method === 'NOTIFY' && e.status === undefined).map((e) => e.message)
      .map((m) => ({ m, ids: /call-id="([^"]+)" local-tag="([^"]+)" remote-tag="([^"]+)" direction="recipient"><state>early/.exec(m) }))
      .find((n) => n.ids && invite.includes(`Replaces: ${n.ids[1]};to-tag=${n.ids[3]};from-tag=${n.ids[2]}`));
    assert.ok(early?.ids, invite);
    assert.match(early.m, /Content-Type: application\/dialog-info\+xml/i);
    const cid = early.ids[1];
    const rb = await rings.done;
    assert.equal(rb.code, 0, rb.errors);
    assert.ok(cancelOf(rb).includes(`Call-ID: ${cid}`), 'the CANCEL ends the leg the Replaces named');
    assert.match(cancelOf(rb), /^Reason: SIP;cause=200;text="Call completed elsewhere"/m);
    const ra = await caller;
    assert.equal(ra.code, 0, ra.errors);
  });

  it('Replaces naming no early dialog gets 481; a picker outside the groups gets 403', async () => {
    await fx.provision('br-a');
    await fx.provision('br-b', undefined, { callGroups: ['desk'] });
    await fx.provision('br-x', undefined, { pickupGroups: ['other'] });
    const rings = await fx.uas('core-uas-ring.xml', await fx.register('br-b'));
    const refused = fx.call('core-blf-pickup.xml', 'br-x', 'br-b', { vars: { caller: 'br-x' }, timeoutSec: 20 });
    const caller = fx.call('core-cancel.xml', 'br-a', 'br-b', { durationMs: 2000 });
    const rx = await refused;
    assert.notEqual(rx.code, 0, 'the scenario expects a 200');
    assert.equal(finalOf(rx), 403);
    const unknown = await fx.call('core-replaces-final.xml', 'br-x', 'br-b', { vars: { caller: 'br-x', replaces: 'no-such-call@127.0.0.1;to-tag=x1;from-tag=y1', domain: TENANT } });
    assert.equal(unknown.code, 0, unknown.errors);
    assert.equal(finalOf(unknown), 481, 'RFC 3891 3: no such dialog');
    assert.equal((await caller).code, 0);
    assert.equal((await rings.done).code, 0);
  });
});

describe('pickup: another tenant', function () {
  this.timeout(40000);
  const fx = coreFixture({ NO_ANSWER_TIMEOUT: '15' });

  it('a Replaces naming a call ringing in another tenant is refused with 403 (and logged); the call rings on', async () => {
    await fx.provision('ot-a');
    await fx.provision('ot-b', undefined, { callGroups: ['desk'] });
    // the intruder: same user and group names, another tenant (SIP domain)
    const other = 'other-tenant.test';
    assert.equal((await fx.api('PUT', `/v1/tenants/${other}/users/ot-x`, { password: 'pw-ot-x', pickupGroups: ['desk'] })).status, 201);
    const rings = await fx.uas('core-uas-ring.xml', await fx.register('ot-b'), { timeoutSec: 20 });
    const caller = fx.call('core-cancel.xml', 'ot-a', 'ot-b', { durationMs: 6000, timeoutSec: 20 });
    // the ringing leg's ids, as the tenant's BLF NOTIFYs show them (the intruder cannot subscribe)
    const live = await fx.liveCall((c) => c.callee.user === 'ot-b');
    const deadline = Date.now() + 5000;
    let leg = fx.server().calls.earlyLegs(fx.server().calls.get(live.id) as never)[0];
    while (!leg?.remoteTags.size && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      leg = fx.server().calls.earlyLegs(fx.server().calls.get(live.id) as never)[0];
    }
    const refused = await fx.call('core-replaces-final.xml', 'ot-x', 'ot-b', {
      vars: { caller: 'ot-x', domain: other, replaces: `${leg.callId};to-tag=${leg.localTag};from-tag=${[...leg.remoteTags][0]}` },
      auth: { username: 'ot-x', password: 'pw-ot-x', uri: `ot-b@127.0.0.1:${fx.sipPort()}` },
    });
    assert.equal(refused.code, 0, refused.errors);
    assert.equal(finalOf(refused), 403);
    assert.equal(((await fx.api('GET', `/v1/tenants/${TENANT}/ringing`)).body as { groups: Record<string, unknown[]> }).groups.desk?.length, 1, 'still ringing');
    assert.equal((await caller).code, 0);
    assert.equal((await rings.done).code, 0);
  });
});
