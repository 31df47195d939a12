import assert from 'node:assert/strict';
import { createNgClient } from '../../../lib/media/ng-client';
import { detectTone } from '../../support/goertzel';
import { freePort } from '../../support/ports';
import { testLogger } from '../../support/rtpengine';
import { coreFixture, TENANT } from '../core/fixture';
import { flow } from '../engine/fixture';
import type { SippEvent } from '../../support/sipp-trace';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { hearing, noiseGap, settledGap, type MergeGap } from './merge-gap';
import { pcmOf, TonePeer } from './tone-peer';

const HZ = { a: 500, b: 1100, c: 1700, d: 2300 } as const;
/** issue: "moved into a new bridge by 3pcc re-INVITEs, with no media gap longer than ~200 ms" */
const MAX_GAP_MS = 200;

type MergeGaps = Record<'b' | 'c', MergeGap> & { ownStallMs: number; noiseMs: number };

/**
 * The rtpengine port a phone's RTP must go to: in whichever session has a stream whose
 * far end is the phone's port (its leg into the bridge runs through a session of its own).
 */
async function portFacing(ngPort: number, phonePort: number): Promise<number> {
  const ng = createNgClient({ host: '127.0.0.1', port: ngPort, timeoutMs: 1000, logger: testLogger() });
  try {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const calls = ((await ng.request('list', { limit: 100 })) as unknown as { calls?: string[] }).calls ?? [];
      for (const callId of calls) {
        const q = await ng.request('query', { 'call-id': callId }) as unknown as {
          tags?: Record<string, { medias?: Array<{ streams?: Array<{ 'local port'?: number; endpoint?: { port?: number } }> }> }>;
        };
        for (const mono of Object.values(q.tags ?? {})) {
          const s = mono.medias?.[0]?.streams?.[0];
          if (s?.endpoint?.port === phonePort && s['local port']) return s['local port'];
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no rtpengine stream faces port ${phonePort}`);
  } finally {
    await ng.close();
  }
}

/** Each member hears the other two tones and not its own (Goertzel over 0.5 s). */
async function assertMix(peers: Record<'a' | 'b' | 'c', TonePeer>): Promise<void> {
  await Promise.all((['a', 'b', 'c'] as const).map(async (who) => {
    await peers[who].next(10, 5000); // let the jitter buffers fill
    const pcm = pcmOf(await peers[who].next(25, 5000));
    for (const other of ['a', 'b', 'c'] as const) {
      const v = detectTone(pcm, HZ[other]).verdict;
      assert.equal(v, other === who ? 'absent' : 'present', `${who} hears ${other} (${HZ[other]} Hz): ${v}`);
    }
  }));
}

describe('conference: 3-way bridging with the embedded mixer', function () {
  this.timeout(60000);
  const fx = coreFixture();
  const peers: TonePeer[] = [];
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.close();
  });
  async function peer(): Promise<TonePeer> {
    const p = await TonePeer.open();
    peers.push(p);
    return p;
  }
  async function play(p: TonePeer, freq: number): Promise<void> {
    p.send({ address: '127.0.0.1', port: await portFacing(fx.media().process.ngPort, p.port) }, { freq, payloadType: 0 });
  }
  /**
   * A (host) calls B and C; B and C answer with their own media ports. With `phones`, the
   * scenarios tell each TonePeer where its phone sends (test/scenarios/conf-*.xml) and every
   * party talks from the start: the host's tone on both its calls, B's and C's their own.
   */
  async function twoCalls(prefix: string, hostHangsUpMs: number, hostScenario = 'core-call-reinvited-media.xml',
    memberB: { scenario: string; durationMs?: number } = { scenario: 'core-uas-reinvite-once-media.xml' },
    phones?: { second: string; memberC: string }): Promise<{
    peersOf: Record<'a' | 'a2' | 'b' | 'c', TonePeer>; ids: [string, string];
    b: Awaited<ReturnType<typeof fx.uas>>; c: Awaited<ReturnType<typeof fx.uas>>;
    first: ReturnType<typeof fx.call>; second: ReturnType<typeof fx.call>;
  }> {
    for (const u of ['a', 'b', 'c', 'd']) await fx.provision(`${prefix}-${u}`);
    const peersOf = { a: await peer(), a2: await peer(), b: await peer(), c: await peer() };
    if (phones) {
      for (const [who, hz] of [['a', HZ.a], ['a2', HZ.a], ['b', HZ.b], ['c', HZ.c]] as const) peersOf[who].talk({ freq: hz, payloadType: 0 });
    }
    const b = await fx.uas(memberB.scenario, await fx.register(`${prefix}-b`), { vars: { rtp_port: String(peersOf.b.port) }, durationMs: memberB.durationMs, timeoutSec: 40 });
    const c = await fx.uas(phones?.memberC ?? 'core-uas-reinvite-once-media.xml', await fx.register(`${prefix}-c`), { vars: { rtp_port: String(peersOf.c.port) }, timeoutSec: 40 });
    const first = fx.call(hostScenario, `${prefix}-a`, `${prefix}-b`, { vars: { caller: `${prefix}-a`, rtp_port: String(peersOf.a.port) }, durationMs: hostHangsUpMs, timeoutSec: 40 });
    const one = await fx.liveCall((x) => x.callee.user === `${prefix}-b` && x.state === 'answered');
    const second = fx.call(phones?.second ?? 'core-call-bye-received-media.xml', `${prefix}-a`, `${prefix}-c`, { vars: { caller: `${prefix}-a`, rtp_port: String(peersOf.a2.port) }, timeoutSec: 40 });
    const two = await fx.liveCall((x) => x.callee.user === `${prefix}-c` && x.state === 'answered');
    return { peersOf, ids: [one.id, two.id], b, c, first, second };
  }

  /**
   * Runs a merge while B and C talk with the host, and returns the gap each heard in the
   * host's voice (see merge-gap.ts for what is measured), printed for the record.
   */
  async function measuredMerge(kind: string, peersOf: { b: TonePeer; c: TonePeer }, merge: () => Promise<void>): Promise<MergeGaps> {
    await Promise.all([hearing(peersOf.b, HZ.a), hearing(peersOf.c, HZ.a)]);
    // the reference: the longest gap each already hears with no merge going on (2 s)
    const noiseMs = Math.max(...(await Promise.all([noiseGap(peersOf.b, HZ.a), noiseGap(peersOf.c, HZ.a)])));
    // the test's own phones stamp frames when this process gets to read them: a stall of
    // this event loop (a loaded machine) shows up as a gap the server did not make
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    const start = performance.now();
    await merge();
    const [b, c] = await Promise.all([settledGap(peersOf.b, HZ.a, start), settledGap(peersOf.c, HZ.a, start)]);
    stalls.disable();
    const ownStallMs = stalls.max / 1e6;
    const show = (g: MergeGap): string => `gap ${g.gapMs.toFixed(0)} ms (any source ${g.anySourceMs.toFixed(0)} ms), re-INVITEd at +${g.movedAtMs.toFixed(0)} ms`;
    console.log(`      ${kind} merge: B ${show(b)}; C ${show(c)}; the test's longest own stall ${ownStallMs.toFixed(0)} ms; `
      + `the longest gap before the merge ${noiseMs.toFixed(0)} ms`);
    return { b, c, ownStallMs, noiseMs };
  }

  /**
   * At most MAX_GAP_MS more than the machine's own noise: the larger of this process's
   * longest stall during the merge and the longest gap heard just before it (a shared,
   * loaded host holds up rtpengine and the mixer too, which this process cannot see).
   */
  function assertGaps(gaps: MergeGaps): void {
    const noise = Math.max(gaps.ownStallMs, gaps.noiseMs);
    const budget = MAX_GAP_MS + noise;
    for (const who of ['b', 'c'] as const) {
      const g = gaps[who];
      assert.ok(g.gapMs <= budget, `${who.toUpperCase()} did not hear the host for ${g.gapMs.toFixed(0)} ms during the merge (at most ${MAX_GAP_MS} ms `
        + `+ the machine's noise of ${noise.toFixed(0)} ms: the test's own stall ${gaps.ownStallMs.toFixed(0)} ms, the longest gap before ${gaps.noiseMs.toFixed(0)} ms)`);
    }
  }

  it('REST merge: B and C hear the host with no gap over 200 ms; each member hears the other two tones, not its own; the host hangs up and the conference ends (policy "end")', async () => {
    const t = await twoCalls('cm', 9000, 'conf-call-reinvited-media.xml', { scenario: 'conf-uas-media.xml' },
      { second: 'conf-call-bye-received-media.xml', memberC: 'conf-uas-media.xml' });
    let r: Awaited<ReturnType<typeof fx.api>> | undefined;
    const gaps = await measuredMerge('REST', t.peersOf, async () => {
      r = await fx.api('POST', '/v1/conferences', { calls: t.ids });
    });
    assert.ok(r);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assertGaps(gaps);
    const conf = r.body as { id: string; host: string; members: Array<{ user: string }> };
    assert.equal(conf.host, 'cm-a');
    assert.deepEqual(conf.members.map((m) => m.user).sort(), ['cm-a', 'cm-b', 'cm-c']);
    const rs = await t.second;
    assert.equal(rs.code, 0, rs.errors);
    assert.deepEqual(flow(rs.events).slice(-2), ['< BYE', '> 200'], "the host's second leg is released");
    assert.equal((await fx.api('GET', '/v1/calls')).status, 200);
    await assertMix({ a: t.peersOf.a, b: t.peersOf.b, c: t.peersOf.c });
    assert.equal((await fx.api('GET', `/v1/conferences/${conf.id}`)).status, 200);
    // the host hangs up: with the default policy everyone gets a BYE
    const ra = await t.first;
    assert.equal(ra.code, 0, ra.errors);
    for (const x of [await t.b.done, await t.c.done]) assert.equal(x.code, 0, x.errors);
    assert.equal((await fx.api('GET', `/v1/conferences/${conf.id}`)).status, 404);
  });

  it('policy "continue": the others talk on after the host leaves; removing one by REST releases the last', async () => {
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/conference`, { mergeCode: '*3', hostLeaves: 'continue' })).status, 200);
    const t = await twoCalls('ck', 1500);
    const r = await fx.api('POST', '/v1/conferences', { calls: t.ids });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const conf = r.body as { id: string; members: Array<{ id: string; user: string }> };
    assert.equal((await t.first).code, 0, 'the host hung up');
    await play(t.peersOf.b, HZ.b);
    await play(t.peersOf.c, HZ.c);
    const heard = pcmOf(await t.peersOf.c.next(25, 5000).then(() => t.peersOf.c.next(25, 5000)));
    assert.equal(detectTone(heard, HZ.b).verdict, 'present', 'C still hears B');
    const left = (await fx.api('GET', `/v1/conferences/${conf.id}`)).body as { members: Array<{ id: string; user: string }> };
    assert.deepEqual(left.members.map((m) => m.user).sort(), ['ck-b', 'ck-c']);
    const c = left.members.find((m) => m.user === 'ck-c');
    assert.equal((await fx.api('DELETE', `/v1/conferences/${conf.id}/members/${c?.id}`)).status, 204);
    for (const x of [await t.b.done, await t.c.done]) assert.equal(x.code, 0, x.errors);
    assert.equal((await fx.api('GET', `/v1/conferences/${conf.id}`)).status, 404);
    assert.equal((await t.second).code, 0);
  });

  it('*3: the host with two calls dials the merge code; its new call is its seat in the bridge; B and C hear the host with no gap over 200 ms', async () => {
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/conference`, { mergeCode: '*3', hostLeaves: 'end' })).status, 200);
    const t = await twoCalls('cs', 20000, 'conf-call-bye-received-media.xml', { scenario: 'conf-uas-media.xml' },
      { second: 'conf-call-bye-received-media.xml', memberC: 'conf-uas-media.xml' });
    const seat = await peer();
    seat.talk({ freq: HZ.a, payloadType: 0 });
    let star: ReturnType<typeof fx.call> | undefined;
    // the merge starts when the host's phone sends the INVITE to *3 (sipp's start is in it)
    const gaps = await measuredMerge('*3', t.peersOf, async () => {
      star = fx.call('conf-call-media.xml', 'cs-a', '*3', { vars: { caller: 'cs-a', rtp_port: String(seat.port) }, durationMs: 6000, timeoutSec: 40 });
    });
    assertGaps(gaps);
    const conf = await (async () => {
      for (;;) {
        const list = ((await fx.api('GET', '/v1/conferences')).body as { conferences: Array<{ id: string; members: unknown[] }> }).conferences;
        if (list[0]?.members.length === 3) return list[0];
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    for (const r of [await t.first, await t.second]) {
      assert.equal(r.code, 0, r.errors);
      assert.deepEqual(flow(r.events).slice(-2), ['< BYE', '> 200'], "the host's old legs are released");
    }
    await assertMix({ a: seat, b: t.peersOf.b, c: t.peersOf.c });
    // a fourth party added by REST rings and joins
    const d = await fx.uas('core-uas-media.xml', await fx.register('cs-d'), { vars: { rtp_port: String((await peer()).port) } });
    const added = await fx.api('POST', `/v1/conferences/${conf.id}/members`, { to: 'cs-d' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(((await fx.api('GET', `/v1/conferences/${conf.id}`)).body as { members: unknown[] }).members.length, 4);
    // the conference gauge (Prometheus, and the console's plot through GET /v1/stats/history)
    const metrics = String((await fx.api('GET', '/metrics', undefined, '')).body);
    assert.match(metrics, /^feature_server_conferences 1$/m);
    assert.ok(star);
    const rs = await star;
    assert.equal(rs.code, 0, rs.errors);
    for (const x of [await t.b.done, await t.c.done, await d.done]) assert.equal(x.code, 0, x.errors);
  });

  it('REST add: a member with two registered phones: both ring at once, the one still ringing gets CANCEL (completed elsewhere) when the other answers, which joins the mix', async () => {
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/conference`, { mergeCode: '*3', hostLeaves: 'end' })).status, 200);
    const t = await twoCalls('cp', 20000);
    const r = await fx.api('POST', '/v1/conferences', { calls: t.ids });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const confId = (r.body as { id: string }).id;
    const d = await peer();
    const stillRinging = await fx.uas('uas-ring-cancel.xml', await fx.register('cp-d'), { timeoutSec: 40 });
    const answering = await fx.uas('core-uas-media.xml', await fx.register('cp-d'), { vars: { rtp_port: String(d.port) }, timeoutSec: 40 });
    const added = await fx.api('POST', `/v1/conferences/${confId}/members`, { to: 'cp-d' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const ringing = await stillRinging.done;
    assert.equal(ringing.code, 0, ringing.errors);
    const got = (m: string): SippEvent | undefined => ringing.events.find((e) => e.dir === 'received' && e.method === m && e.status === undefined);
    // one fork: the phone left ringing was rung with the other (it got an INVITE at all) and
    // cancelled because the other answered, not after a ring time of its own (RFC 3326)
    assert.ok(got('INVITE'));
    assert.match(got('CANCEL')?.message ?? '', /^Reason: SIP;\s*cause=200/m, 'the CANCEL says the call was completed elsewhere (RFC 3326)');
    const members = ((await fx.api('GET', `/v1/conferences/${confId}`)).body as { members: Array<{ user: string }> }).members;
    assert.deepEqual(members.map((m) => m.user).sort(), ['cp-a', 'cp-b', 'cp-c', 'cp-d']);
    await play(t.peersOf.a, HZ.a);
    await play(d, HZ.d);
    await d.next(10, 5000);
    assert.equal(detectTone(pcmOf(await d.next(25, 5000)), HZ.a).verdict, 'present', 'the added member hears the host');
    await t.peersOf.b.next(10, 5000);
    assert.equal(detectTone(pcmOf(await t.peersOf.b.next(25, 5000)), HZ.d).verdict, 'present', 'the others hear the added member');
    const ra = await t.first;
    assert.equal(ra.code, 0, ra.errors);
    const answered = await answering.done;
    for (const x of [await t.b.done, await t.c.done, answered]) assert.equal(x.code, 0, x.errors);
    assert.equal((await t.second).code, 0);
  });

  it("a member's own re-INVITE (a session refresh) in the bridge gets 200 (its scenario fails otherwise), and it still hears the others", async () => {
    const t = await twoCalls('cr', 6000, 'core-call-reinvited-media.xml', { scenario: 'core-uas-member-refresh-media.xml', durationMs: 1000 });
    const r = await fx.api('POST', '/v1/conferences', { calls: t.ids });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await play(t.peersOf.a, HZ.a);
    await play(t.peersOf.c, HZ.c);
    // B refreshes 1 s after joining; 50 frames later (the second after it) it hears A and C
    await t.peersOf.b.next(75, 8000);
    const heard = pcmOf(await t.peersOf.b.next(25, 5000));
    assert.equal(detectTone(heard, HZ.a).verdict, 'present');
    assert.equal(detectTone(heard, HZ.c).verdict, 'present');
    const ra = await t.first;
    assert.equal(ra.code, 0, ra.errors);
    for (const x of [await t.b.done, await t.c.done]) assert.equal(x.code, 0, x.errors);
    assert.equal((await t.second).code, 0);
  });

  it("a member's hold takes it out of the mix (its phone's own hold music never reaches the others), its resume puts it back; the 200s answer sendonly with recvonly", async () => {
    const t = await twoCalls('ch', 15000, 'core-call-reinvited-media.xml', { scenario: 'core-uas-member-hold-media.xml', durationMs: 3000 });
    const r = await fx.api('POST', '/v1/conferences', { calls: t.ids });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const confId = (r.body as { id: string }).id;
    await play(t.peersOf.a, HZ.a);
    await play(t.peersOf.c, HZ.c);
    // B's phone sends its tone throughout, as a phone playing its own hold music would
    await play(t.peersOf.b, HZ.b);
    const bHeld = async (): Promise<boolean | undefined> => ((await fx.api('GET', `/v1/conferences/${confId}`)).body as { members: Array<{ user: string; held: boolean }> })
      .members.find((m) => m.user === 'ch-b')?.held;
    const cHears = async (want: 'present' | 'absent', what: string): Promise<void> => {
      const deadline = Date.now() + 10000;
      for (;;) {
        if (detectTone(pcmOf(await t.peersOf.c.next(25, 5000)), HZ.b).verdict === want) return;
        assert.ok(Date.now() < deadline, what);
      }
    };
    await cHears('present', 'C hears B before the hold');
    assert.equal(await bHeld(), false);
    await cHears('absent', 'B on hold is out of the mix');
    assert.equal(await bHeld(), true, 'the conference shows B held');
    assert.equal(detectTone(pcmOf(await t.peersOf.c.next(25, 5000)), HZ.a).verdict, 'present', 'C still hears A');
    await cHears('present', 'B resumed is back in the mix');
    assert.equal(await bHeld(), false);
    const ra = await t.first;
    assert.equal(ra.code, 0, ra.errors);
    for (const x of [await t.b.done, await t.c.done]) assert.equal(x.code, 0, x.errors);
    assert.equal((await t.second).code, 0);
  });

  it('an external bridge (a tenant\'s bridgeUri, any SIP conference server): each party is moved into it by 3pcc, media both ways', async () => {
    const extPort = await freePort('both');
    const ext = await fx.uas('conf-external-bridge.xml', extPort, { calls: 3, timeoutSec: 40, extraArgs: ['-rtp_echo', '-mp', String(await freePort('udp'))] });
    const extAddr = `127.0.0.1:${extPort}`;
    const settings = (bridgeUri?: string): Promise<unknown> => fx.api('PUT', `/v1/tenants/${TENANT}/conference`, { mergeCode: '*3', hostLeaves: 'end', ...(bridgeUri ? { bridgeUri } : {}) });
    await settings(`sip:room-{conference}@${extAddr}`);
    try {
      const t = await twoCalls('cx', 6000);
      const r = await fx.api('POST', '/v1/conferences', { calls: t.ids });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const confId = (r.body as { id: string }).id;
      for (const [who, hz] of [['a', HZ.a], ['b', HZ.b], ['c', HZ.c]] as const) await play(t.peersOf[who], hz);
      // the server (sipp -rtp_echo) sends each member's audio back: each hears itself through it
      await Promise.all((['a', 'b', 'c'] as const).map(async (who) => {
        await t.peersOf[who].next(10, 5000);
        assert.equal(detectTone(pcmOf(await t.peersOf[who].next(25, 5000)), HZ[who]).verdict, 'present', `${who} reaches the external bridge and back`);
      }));
      const ra = await t.first;
      assert.equal(ra.code, 0, ra.errors);
      for (const x of [await t.b.done, await t.c.done]) assert.equal(x.code, 0, x.errors);
      const re = await ext.done;
      assert.equal(re.code, 0, re.errors);
      const invites = re.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission);
      assert.equal(invites.length, 3, 'three parties moved in');
      for (const i of invites) assert.match(i.firstLine, new RegExp(`^INVITE sip:room-${confId}@`));
    } finally {
      await settings();
    }
  });

  it('REST errors: unknown calls 404, calls without a shared party 409, unknown conference 404', async () => {
    const none = await fx.api('POST', '/v1/conferences', { calls: ['nope-1', 'nope-2'] });
    assert.equal(none.status, 404);
    assert.equal((none.body as { code: string }).code, 'E_CONF_CALL_NOT_FOUND');
    assert.equal((await fx.api('POST', '/v1/conferences', { calls: ['only-one'] })).status, 400);
    assert.equal((await fx.api('DELETE', '/v1/conferences/abc123')).status, 404);
    assert.equal((await fx.api('GET', '/v1/conferences/abc123')).status, 404);
  });
});
