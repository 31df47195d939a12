import assert from 'node:assert/strict';
import { MAX_AGE_MS, PidfCache, type ComposedPidf } from '../../../features/presence/pidf-cache';

/** A loader the test releases by hand, counting its loads. */
function loader(validFor = Infinity) {
  let version = 0;
  const pending: Array<() => void> = [];
  const calls: string[] = [];
  let held = false;
  const load = (t: string, u: string): Promise<ComposedPidf> => {
    calls.push(`${t}/${u}`);
    const v = ++version;
    const doc = { body: `${u}@${t} v${v}`, validUntil: validFor };
    if (!held) return Promise.resolve(doc);
    return new Promise((resolve) => pending.push(() => resolve(doc)));
  };
  return { load, calls, hold: () => { held = true; }, release: () => { held = false; for (const p of pending.splice(0)) p(); } };
}

describe('presence: PIDF cache', () => {
  it('composes once for many readers, and again after the presentity changes', async () => {
    const l = loader();
    const cache = new PidfCache(l.load);
    const bodies = await Promise.all(Array.from({ length: 50 }, () => cache.get('t', 'alice')));
    assert.deepEqual(new Set(bodies), new Set(['alice@t v1']));
    assert.equal(await cache.get('t', 'alice'), 'alice@t v1');
    assert.equal(cache.composed, 1);
    cache.invalidate('t', 'alice');
    assert.equal(await cache.get('t', 'alice'), 'alice@t v2');
    assert.equal(await cache.get('t', 'bob'), 'bob@t v3', 'presentities are apart');
    assert.equal(cache.composed, 3);
  });

  it('does not keep a load that a change overtook', async () => {
    const l = loader();
    const cache = new PidfCache(l.load);
    l.hold();
    const first = cache.get('t', 'alice');
    cache.invalidate('t', 'alice'); // a PUBLISH lands while the old state is being read
    l.release();
    assert.equal(await first, 'alice@t v1');
    assert.equal(await cache.get('t', 'alice'), 'alice@t v2', 'the next reader composes the new state');
  });

  it('composes again once the earliest publication expired, and after MAX_AGE_MS at the latest', async () => {
    let now = 1000;
    const l = loader(5000);
    const cache = new PidfCache(l.load, { now: () => now });
    await cache.get('t', 'alice');
    now = 4999;
    assert.equal(await cache.get('t', 'alice'), 'alice@t v1');
    now = 5000;
    assert.equal(await cache.get('t', 'alice'), 'alice@t v2', 'the expired publication is no longer in the document');
    const forever = new PidfCache(loader().load, { now: () => now });
    await forever.get('t', 'bob');
    now += MAX_AGE_MS;
    assert.equal(await forever.get('t', 'bob'), 'bob@t v2');
  });

  it('remembers no failure, and holds at most maxEntries presentities', async () => {
    let fail = true;
    const cache = new PidfCache(async (_t, u) => {
      if (fail) throw new Error('redis down');
      return { body: u, validUntil: Infinity };
    }, { maxEntries: 2 });
    await assert.rejects(cache.get('t', 'alice'), /redis down/);
    fail = false;
    assert.equal(await cache.get('t', 'alice'), 'alice');
    await cache.get('t', 'bob');
    await cache.get('t', 'carol');
    assert.equal(cache.size, 2);
  });
});
