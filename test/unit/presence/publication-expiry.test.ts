import assert from 'node:assert/strict';
import { EXPIRY_SLACK_MS, PublicationExpiry, RETRY_MS, type Schedule } from '../../../features/presence/publication-expiry';
import { PidfCache } from '../../../features/presence/pidf-cache';

/** A schedule the test runs by hand. */
function clock() {
  const due: Array<{ fn: () => Promise<void>; ms: number; cancelled: boolean }> = [];
  const schedule: Schedule = (fn, ms) => {
    const d = { fn, ms, cancelled: false };
    due.push(d);
    return () => { d.cancelled = true; };
  };
  const live = () => due.filter((d) => !d.cancelled);
  return { schedule, live, fire: async () => { const d = live().shift(); assert.ok(d, 'a timer is armed'); d.cancelled = true; await d.fn(); } };
}

describe('presence: publication expiry timers (RFC 3903 5)', () => {
  const NOW = 1_000_000;

  it('arms one timer per presentity at its earliest expiry; the watchers hear a document that changed', async () => {
    const c = clock();
    const changed: string[] = [];
    let body = 'closed';
    const e: PublicationExpiry = new PublicationExpiry({
      schedule: c.schedule, now: () => NOW, watched: () => true, changed: (t, u) => changed.push(`${t}/${u}`),
      recompose: async (t, u) => { e.composed(t, u, body, Infinity); return body; },
    });
    e.composed('t', 'alice', 'open', NOW + 2000);
    e.composed('t', 'alice', 'open', NOW + 1000);
    assert.equal(e.size, 1);
    assert.deepEqual(c.live().map((d) => d.ms), [1000 + EXPIRY_SLACK_MS], 'the newest composition replaces the timer');
    await c.fire();
    assert.deepEqual(changed, ['t/alice']);
    assert.equal(e.size, 0, 'no publication left, no timer');
    e.composed('t', 'bob', 'x', Infinity);
    assert.equal(e.size, 0);
    body = 'same';
    e.composed('t', 'carol', 'same', NOW + 5);
    await c.fire();
    assert.deepEqual(changed, ['t/alice'], 'refreshed meanwhile: the same document is not told again');
  });

  it('reads nothing for a presentity no one here watches; retries after a failed read; bounded; closes', async () => {
    const c = clock();
    let reads = 0;
    let fail = false;
    let watched = false;
    const e = new PublicationExpiry({
      schedule: c.schedule, now: () => NOW, maxTimers: 2, watched: () => watched, changed: () => undefined,
      recompose: async () => { reads++; if (fail) throw new Error('redis down'); return 'b'; },
    });
    e.composed('t', 'a', 'b', NOW + 10);
    await c.fire();
    assert.equal(reads, 0);
    watched = true;
    fail = true;
    e.composed('t', 'a', 'b', NOW + 10);
    await c.fire();
    assert.equal(reads, 1);
    assert.deepEqual(c.live().map((d) => d.ms), [RETRY_MS]);
    for (const u of ['b', 'c', 'd']) e.composed('t', u, 'b', NOW + 10);
    assert.equal(e.size, 2);
    e.close();
    assert.equal(e.size, 0);
    assert.deepEqual(c.live(), []);
  });

  it('the PIDF cache reports each composition no change overtook', async () => {
    const seen: string[] = [];
    let v = 0;
    let release: (() => void) | undefined;
    const cache = new PidfCache(async (_t, u) => {
      const doc = { body: `${u} v${++v}`, validUntil: NOW };
      if (v === 1) await new Promise<void>((r) => { release = r; });
      return doc;
    }, { onComposed: (_t, _u, doc) => seen.push(doc.body) });
    const first = cache.get('t', 'alice');
    cache.invalidate('t', 'alice');
    await new Promise((r) => setImmediate(r));
    release?.();
    assert.equal(await first, 'alice v1');
    assert.deepEqual(seen, [], 'an overtaken load is not what watchers are told');
    assert.equal(await cache.get('t', 'alice'), 'alice v2');
    assert.deepEqual(seen, ['alice v2']);
  });
});
