import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { running } from '../support/processes';
import { header, type SipMessage } from '../integration/races/sip-peer';
import { assertMediaFlows, mediaCall, MediaPhone, type MediaCall } from '../integration/faults/media-phone';
import { childPid, healthy, serverPid, startBox, stopBox, type Box } from '../support/box';
import { until } from '../support/until';

/**
 * The fault suite (issue #14, `npm run test:faults`): kill -9 of each process of a
 * running box (redis-server, rtpengine, the SIP engine, the server under scripts/start.sh)
 * with LIVE calls up (RTP checked both ways), PARKED parked calls and the phones of all of
 * them registered. After each: /health is 200 again, users and registrations are all
 * there, each live call either carries media both ways or was ended with a BYE to both
 * phones, each parked call is either still retrievable (dialing its slot connects media)
 * or was ended with a BYE to the parked phone and its slot freed. The time from the kill
 * to the recovery is printed (the numbers of the closing note).
 */
const LIVE = 10;
const PARKED = 2;
const TENANT = '127.0.0.1';

interface Scene {
  live: MediaCall[];
  parked: Array<{ phone: MediaPhone; callId: string; slot: string; invite: string }>;
  retriever: MediaPhone;
  users: number;
  registrations: number;
}

type Listed<T> = { [k: string]: T[] } | T[];
function listOf<T>(body: unknown, key: string): T[] {
  const b = body as Listed<T>;
  return Array.isArray(b) ? b : b[key] ?? [];
}

async function countRegistrations(box: Box): Promise<number> {
  const r = await box.api('GET', `/v1/tenants/${TENANT}/registrations`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return listOf<{ bindings: unknown[] }>(r.body, 'registrations').reduce((n, u) => n + u.bindings.length, 0);
}

async function countUsers(box: Box): Promise<number> {
  const r = await box.api('GET', `/v1/tenants/${TENANT}/users`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return listOf<unknown>(r.body, 'users').length;
}

async function parks(box: Box): Promise<Array<{ slot: string; parked: string }>> {
  return listOf<{ slot: string; parked: string }>((await box.api('GET', `/v1/parks?tenant=${TENANT}`)).body, 'parks');
}

const byeIn = (p: MediaPhone, callId: string): boolean => p.received.some((m) => m.method === 'BYE' && header(m, 'call-id') === callId);

async function flows(c: MediaCall, timeoutMs: number): Promise<boolean> {
  try {
    await assertMediaFlows(c, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

describe('faults: kill -9 of each process under live and parked calls', function () {
  this.timeout(300_000);
  const made: string[] = [];
  let box: Box | undefined;
  let phones: MediaPhone[] = [];
  const outcomes: string[] = [];

  afterEach(async function () {
    this.timeout(60_000);
    // what the box said (warnings and errors: the take-over's, the start script's) explains a failure
    if (this.currentTest?.state === 'failed' && box) console.log(`      the box's output, last lines:\n${box.output().slice(-6000)}`);
    for (const p of phones) p.close();
    phones = [];
    if (box) await stopBox(box);
    box = undefined;
  });
  after(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
    // the closing note's numbers, together
    for (const o of outcomes) console.log(`    ${o}`);
  });

  async function phone(): Promise<MediaPhone> {
    const p = await new MediaPhone({ host: '127.0.0.1', port: box!.sipPort }, TENANT).start();
    phones.push(p);
    return p;
  }

  /** A box with LIVE answered calls (media checked), PARKED parked calls, every phone registered. */
  async function scene(extraEnv: Record<string, string> = {}): Promise<Scene> {
    const d = mkdtempSync(path.join(os.tmpdir(), 'fs-faults-'));
    made.push(d);
    const b = await startBox(path.join(d, 'data'), {
      rtpPorts: 200,
      // the phones here send RTP only while a test checks it
      env: { LOG_LEVEL: 'warn', API_TOKEN: 'faults-token-0123456789', DRAIN_TIMEOUT: '2', MEDIA_TIMEOUT: '0', ...extraEnv },
    });
    box = b;
    const lot = await b.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 600, announce: false });
    assert.equal(lot.status, 200, JSON.stringify(lot.body));
    const names = [...Array.from({ length: LIVE }, (_, i) => [`f-a${i}`, `f-b${i}`]).flat(),
      ...Array.from({ length: PARKED }, (_, i) => [`f-p${i}`, `f-q${i}`]).flat(), 'f-r'];
    for (const u of names) {
      const r = await b.api('PUT', `/v1/tenants/${TENANT}/users/${u}`, { password: `pw-${u}` });
      assert.ok(r.status === 200 || r.status === 201, `${u}: ${r.status}`);
    }
    const live: MediaCall[] = [];
    for (let i = 0; i < LIVE; i++) {
      const [a, b] = [await phone(), await phone()];
      await a.register(`f-a${i}`);
      await b.register(`f-b${i}`);
      live.push(await mediaCall(a, `f-a${i}`, b, `f-b${i}`));
    }
    for (const c of live) await assertMediaFlows(c);
    const parked: Scene['parked'] = [];
    for (let i = 0; i < PARKED; i++) {
      const [p, q] = [await phone(), await phone()];
      await q.register(`f-q${i}`);
      const c = await mediaCall(p, `f-p${i}`, q, `f-q${i}`);
      const call = await until('the call to park listed', 8000, async () =>
        listOf<{ id: string; callee: { user: string } }>((await b.api('GET', '/v1/calls')).body, 'calls').find((x) => x.callee.user === `f-q${i}`));
      const r = await b.api('POST', `/v1/calls/${call.id}/park`, { party: 'callee' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await p.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === c.ad.callId, 8000, 'BYE at the parker');
      parked.push({ phone: q, callId: c.bd.callId, slot: (r.body as { slot: string }).slot, invite: c.bInvite });
    }
    const retriever = await phone();
    const s = { live, parked, retriever, users: await countUsers(b), registrations: await countRegistrations(b) };
    assert.equal(s.registrations, 2 * LIVE + PARKED);
    assert.equal((await parks(b)).length, PARKED);
    return s;
  }

  /** What SIP and issue #14 promise after any of the kills; returns a summary of what survived. */
  async function survived(s: Scene, kind: string, ms: number): Promise<void> {
    const b = box!;
    assert.equal(await countUsers(b), s.users, 'every user still there');
    assert.equal(await countRegistrations(b), s.registrations, 'every registration still there');
    let withMedia = 0;
    let ended = 0;
    for (const c of s.live) {
      if (await flows(c, 4000)) withMedia++;
      else if (byeIn(c.a, c.ad.callId) && byeIn(c.b, c.bd.callId)) ended++;
    }
    const listedSlots = new Set((await parks(b)).map((p) => p.slot));
    let retrieved = 0;
    let parkEnded = 0;
    for (const p of s.parked) {
      if (listedSlots.has(p.slot)) {
        // dialing the slot gets the parked party, with media both ways
        const res = await s.retriever.call({ to: p.slot, user: 'f-r' }).result;
        assert.equal(res.response.status, 200, `retrieve of ${p.slot}: ${res.response.status}`);
        const c: MediaCall = { a: s.retriever, b: p.phone, ad: res.dialog!, bd: { callId: p.callId } as MediaCall['bd'], a200: res.response.body, bInvite: p.invite };
        assert.ok(await flows(c, 8000), `media after the retrieve of ${p.slot}`);
        await s.retriever.request(res.dialog!, 'BYE');
        retrieved++;
      } else {
        assert.ok(byeIn(p.phone, p.callId), `the parked party of ${p.slot} is neither parked nor hung up`);
        parkEnded++;
      }
    }
    const summary = `live calls: ${withMedia} with media, ${ended} ended with BYE, ${LIVE - withMedia - ended} neither; parked: ${retrieved} retrieved, ${parkEnded} ended with BYE`;
    // printed before it is judged: the numbers are wanted either way
    note(kind, ms, summary);
    assert.equal(withMedia + ended, LIVE, summary);
    // a call that kept its media also keeps its dialogs: the caller's BYE is answered and reaches the callee
    for (const c of s.live) {
      if (byeIn(c.a, c.ad.callId)) continue;
      const r = await c.a.request(c.ad, 'BYE');
      assert.equal(r.status, 200, `a caller's BYE after the fault: ${r.status}`);
      await c.b.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === c.bd.callId, 8000, 'BYE at the callee');
    }
    let left: unknown[] = [];
    await until('no call left listed', 8000, async () => (left = listOf<unknown>((await b.api('GET', '/v1/calls')).body, 'calls')).length === 0)
      .catch((err: Error) => { throw new Error(`${err.message}; still listed: ${JSON.stringify(left)}`); });
  }

  function note(kind: string, ms: number, summary: string): void {
    const line = `kill -9 of ${kind}: recovered in ${ms} ms; ${summary}`;
    outcomes.push(line);
    console.log(`      ${line}`);
  }

  it('redis-server: restarted with its AOF; calls, parks, users and registrations kept', async () => {
    const s = await scene();
    const b = box!;
    const pid = await childPid(b, 'redis-server');
    assert.ok(pid && running(pid));
    const killed = Date.now();
    process.kill(pid, 'SIGKILL');
    await until('a new redis-server', 30_000, async () => {
      const p = await childPid(b, 'redis-server');
      return p !== undefined && p !== pid && running(p);
    });
    await healthy(b, 30_000);
    await until('REGISTER served again', 30_000, () => s.retriever.register('f-r').then(() => true, () => false));
    const ms = Date.now() - killed;
    s.registrations++;
    await survived(s, 'redis-server', ms);
  });

  it('rtpengine: restarted; every live call re-anchored (media both ways again), parked calls ended cleanly', async () => {
    const s = await scene();
    const b = box!;
    const pid = await childPid(b, 'rtpengine');
    assert.ok(pid && running(pid));
    const killed = Date.now();
    process.kill(pid, 'SIGKILL');
    // recovered: every call re-INVITEd on both sides, media both ways
    for (const c of s.live) {
      await Promise.all([
        c.a.waitRequest((m) => m.method === 'INVITE' && header(m, 'call-id') === c.ad.callId && m.at >= killed, 30_000, 're-INVITE at a caller'),
        c.b.waitRequest((m) => m.method === 'INVITE' && header(m, 'call-id') === c.bd.callId && m.at >= killed, 30_000, 're-INVITE at a callee'),
      ]);
    }
    for (const c of s.live) assert.ok(await flows(c, 10_000), 'media both ways after the re-anchor');
    const ms = Date.now() - killed;
    await healthy(b, 10_000);
    await survived(s, 'rtpengine', ms);
  });

  it('the SIP engine: restarted; the server reconnects and serves again', async () => {
    const s = await scene();
    const b = box!;
    const pid = await childPid(b, 'sip-engine');
    assert.ok(pid && running(pid));
    const killed = Date.now();
    process.kill(pid, 'SIGKILL');
    await until('a new SIP engine', 30_000, async () => {
      const p = await childPid(b, 'sip-engine');
      return p !== undefined && p !== pid && running(p);
    });
    await healthy(b, 30_000);
    await until('REGISTER served again', 30_000, () => s.retriever.register('f-r').then(() => true, () => false));
    const ms = Date.now() - killed;
    s.registrations++;
    await survived(s, 'the SIP engine', ms);
  });

  it('the server (under scripts/start.sh): started again with its children; users, registrations and parked calls kept', async () => {
    const s = await scene();
    const b = box!;
    const pid = serverPid(b);
    assert.ok(pid && running(pid));
    const killed = Date.now();
    process.kill(pid, 'SIGKILL');
    await until('a new server', 60_000, () => {
      const p = serverPid(b);
      return p !== undefined && p !== pid;
    });
    await healthy(b, 60_000);
    await until('REGISTER served again', 30_000, () => s.retriever.register('f-r').then(() => true, () => false));
    // recovered: every live call handled on both sides by the restarted server, either
    // resumed (its INVITEs inside the old dialogs) or, when resuming failed, ended with BYE
    // (call-takeover.ts); survived() below judges which, and counts each
    const handled = (m: SipMessage, callId: string): boolean => (m.method === 'INVITE' || m.method === 'BYE') && header(m, 'call-id') === callId && m.at >= killed;
    for (const c of s.live) {
      await Promise.all([
        c.a.waitRequest((m) => handled(m, c.ad.callId), 30_000, 'resuming INVITE or BYE at a caller'),
        c.b.waitRequest((m) => handled(m, c.bd.callId), 30_000, 'resuming INVITE or BYE at a callee'),
      ]);
    }
    const ms = Date.now() - killed;
    s.registrations++;
    await survived(s, 'the server', ms);
  });

  it('the server with CALL_TAKEOVER=hangup: every live call of the dead server ended with a BYE to both phones', async () => {
    const s = await scene({ CALL_TAKEOVER: 'hangup' });
    const b = box!;
    const pid = serverPid(b);
    assert.ok(pid && running(pid));
    const killed = Date.now();
    process.kill(pid, 'SIGKILL');
    for (const c of s.live) {
      await Promise.all([
        c.a.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === c.ad.callId && m.at >= killed, 60_000, 'BYE at a caller'),
        c.b.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === c.bd.callId && m.at >= killed, 60_000, 'BYE at a callee'),
      ]);
    }
    const ms = Date.now() - killed;
    note('the server (CALL_TAKEOVER=hangup)', ms, `live calls: ${LIVE} ended with BYE`);
    await healthy(b, 30_000);
    const live = async (): Promise<unknown[]> => listOf<{ caller: { user: string } }>((await b.api('GET', '/v1/calls')).body, 'calls')
      .filter((c) => c.caller.user.startsWith('f-a'));
    await until('no live call left listed', 8000, async () => (await live()).length === 0);
  });
});
