import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { avoidUnreachable, fixedRing, OutboundFork, UnreachableContacts, type RingNext } from '../../../lib/calls';

/*
 * issue #13: while the first INVITEs to a dead or fuzzed contact wait for timer B (32 s),
 * every new call would send another. At most 4 are outstanding to a contact that has not
 * answered anything within the TTL.
 */
const dead = { uri: 'sip:bob@127.0.0.1:9' };
const live = { uri: 'sip:bob@127.0.0.1:5062' };

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/** An srf whose INVITEs never get an answer until the test says so (timer B, as 408). */
function silentSrf(): { srf: Srf; sent: string[]; timeOut(): void } {
  const sent: string[] = [];
  const pending: Array<(e: Error) => void> = [];
  const fake = {
    createUAC: (uri: string): Promise<never> => {
      sent.push(uri);
      return new Promise<never>((_resolve, reject) => pending.push(reject));
    },
  };
  const timeOut = (): void => {
    for (const reject of pending.splice(0)) reject(Object.assign(new Error('timeout'), { status: 408 }));
  };
  // the fork uses createUAC only
  return { srf: fake as unknown as Srf, sent, timeOut };
}

describe('at most 4 INVITEs in flight to a contact that never answered', () => {
  it('claims up to the cap, then refuses until a slot is given back', () => {
    const u = new UnreachableContacts({ ttlMs: 60000, max: 100 });
    const slots = [1, 2, 3, 4].map(() => u.claim(dead));
    assert.ok(slots.every((s) => s !== undefined));
    assert.equal(u.pending(dead), 4);
    assert.equal(u.isSaturated(dead), true);
    assert.equal(u.claim(dead), undefined, 'a fifth is refused');
    assert.equal(u.isSaturated(live), false, 'another contact has its own slots');
    slots[0]?.();
    slots[0]?.();
    assert.equal(u.pending(dead), 3, 'a slot given back twice counts once');
    assert.ok(u.claim(dead));
  });

  it('a contact that answered anything within the TTL is exempt, until the TTL passes', () => {
    const c = clock();
    const u = new UnreachableContacts({ ttlMs: 60000, max: 100, now: c.now });
    u.heard(live);
    for (let i = 0; i < 50; i++) assert.ok(u.claim(live), `claim ${i + 1}`);
    assert.equal(u.isSaturated(live), false);
    c.advance(60000);
    assert.equal(u.isSaturated(live), true, 'not heard for the TTL: capped again');
    assert.equal(u.claim(live), undefined);
  });

  it('remembers at most `max` contacts heard from, and nothing once all slots are back', () => {
    const c = clock();
    const u = new UnreachableContacts({ ttlMs: 60000, max: 3, now: c.now });
    for (let i = 0; i < 1000; i++) {
      u.heard({ uri: `sip:x@10.0.${i >> 8}.${i & 255}` });
      c.advance(1);
    }
    const first = { uri: 'sip:x@10.0.0.0' };
    const slots = [1, 2, 3, 4].map(() => u.claim(first));
    assert.equal(u.claim(first), undefined, 'the oldest heard contact was forgotten: capped');
    for (const s of slots) s?.();
    assert.equal(u.pending(first), 0);
  });

  it('a cap of 0 or a TTL of 0 turns it off', () => {
    for (const u of [new UnreachableContacts({ ttlMs: 60000, max: 10, maxInFlight: 0 }), new UnreachableContacts({ ttlMs: 0, max: 10 })]) {
      for (let i = 0; i < 10; i++) assert.ok(u.claim(dead));
      assert.equal(u.isSaturated(dead), false);
    }
  });

  it('a ring step whose only contact is saturated: 480 at once, nothing rung (no media offer either)', async () => {
    const u = new UnreachableContacts({ ttlMs: 60000, max: 10 });
    for (let i = 0; i < 4; i++) u.claim(dead);
    const n = await avoidUnreachable(fixedRing([dead], 30000), u).first();
    assert.deepEqual(n, { kind: 'final', status: 480, reason: 'Temporarily Unavailable' });
    const both = await avoidUnreachable(fixedRing([dead, live], 30000), u).first();
    assert.deepEqual((both as Extract<RingNext, { kind: 'ring' }>).targets, [live], 'the other contact still rings');
  });

  it('forks of concurrent calls send at most 4 INVITEs to a silent contact; the rest end 480 without sending', async () => {
    const u = new UnreachableContacts({ ttlMs: 60000, max: 10 });
    const { srf, sent, timeOut } = silentSrf();
    const forks = Array.from({ length: 10 }, () => new OutboundFork(srf, u));
    const results = forks.map((f) => f.run([dead], { offer: 'v=0', headers: {}, onProvisional: () => undefined }));
    assert.equal(sent.length, 4);
    const skipped = await Promise.all(results.slice(4));
    assert.deepEqual(skipped.map((r) => r.status), Array(6).fill(480));
    timeOut();
    assert.deepEqual((await Promise.all(results.slice(0, 4))).map((r) => r.status), Array(4).fill(408));
    assert.equal(u.pending(dead), 0, 'every slot given back');
    assert.equal(u.isUnreachable(dead), true, 'and the contact is now known silent');
  });

  it('a fork to a saturated and a live contact rings the live one only', async () => {
    const u = new UnreachableContacts({ ttlMs: 60000, max: 10 });
    for (let i = 0; i < 4; i++) u.claim(dead);
    const { srf, sent, timeOut } = silentSrf();
    const r = new OutboundFork(srf, u).run([dead, live], { offer: 'v=0', headers: {}, onProvisional: () => undefined });
    assert.deepEqual(sent, [live.uri]);
    timeOut();
    assert.equal((await r).status, 408);
  });
});
