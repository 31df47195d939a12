import assert from 'node:assert/strict';
import { exposeGc, MemoryReducer, type MemoryReducerOptions } from '../../../lib/engine';

const MB = 1024 * 1024;

/** A reducer on a fake clock, RSS and collector; `tick()` is one timer firing. */
function harness(opts: Partial<MemoryReducerOptions> = {}) {
  const h = {
    clock: 0,
    rss: 100 * MB,
    /** what a collection brings RSS down to */
    afterGc: 100 * MB,
    collections: 0,
    callback: undefined as (() => void) | undefined,
    cleared: false,
  };
  const reducer = new MemoryReducer({
    sampleMs: 1000, minIntervalMs: 30000, growthRatio: 0.2, minGrowthBytes: 16 * MB, followUps: 0,
    now: () => h.clock,
    rss: () => h.rss,
    gc: () => {
      h.collections++;
      h.rss = h.afterGc;
    },
    timers: {
      setInterval: (f) => {
        h.callback = f;
        return 'timer';
      },
      clearInterval: (t) => {
        assert.equal(t, 'timer');
        h.cleared = true;
        h.callback = undefined;
      },
    },
    ...opts,
  }).start();
  const tick = (ms = 1000): void => {
    h.clock += ms;
    assert.ok(h.callback, 'the sampling timer is running');
    h.callback();
  };
  return { h, reducer, tick };
}

describe('engine: memory reducer', () => {
  it('runs a full collection once RSS has grown 20% and 16 MB over its level', () => {
    const { h, reducer, tick } = harness();
    h.rss = 115 * MB; // 15%, 15 MB: neither threshold
    tick();
    assert.equal(h.collections, 0);
    h.rss = 121 * MB; // 21%, 21 MB: both
    tick();
    assert.equal(h.collections, 1);
    assert.equal(reducer.collections, 1);
  });

  it('needs both the share and the bytes', () => {
    // a small process: 15 MB is 50% of it, but under 16 MB
    const small = harness();
    small.h.rss = 30 * MB; // it shrank: growth is measured from here
    small.tick();
    small.h.rss = 45 * MB;
    small.tick();
    assert.equal(small.h.collections, 0);
    small.h.rss = 47 * MB; // +17 MB and +57%
    small.tick();
    assert.equal(small.h.collections, 1);
    // a large process: 40 MB is over 16 MB but under 20% of 500 MB
    const large = harness();
    large.h.rss = 500 * MB;
    large.h.afterGc = 500 * MB;
    large.tick(); // from 100 MB: collects, and its level becomes 500 MB
    assert.equal(large.h.collections, 1);
    large.h.clock += 60000;
    large.h.rss = 540 * MB;
    large.tick();
    assert.equal(large.h.collections, 1);
  });

  it('collects at most once per minimum interval, and again after it', () => {
    const { h, tick } = harness();
    h.afterGc = 100 * MB;
    h.rss = 200 * MB;
    tick();
    assert.equal(h.collections, 1);
    for (let i = 0; i < 29; i++) {
      h.rss = 200 * MB; // the process grows straight back
      tick();
    }
    assert.equal(h.collections, 1, 'no second collection within 30 s');
    h.rss = 200 * MB;
    tick();
    assert.equal(h.collections, 2, 'collected again once 30 s passed');
  });

  it('measures growth from the level after the last collection, not from the start', () => {
    const { h, tick } = harness();
    h.rss = 300 * MB;
    h.afterGc = 250 * MB; // what the collection could not give back becomes the new level
    tick();
    assert.equal(h.collections, 1);
    h.clock += 60000;
    h.rss = 280 * MB; // +12% over 250 MB
    tick();
    assert.equal(h.collections, 1);
    h.rss = 310 * MB; // +24% and 60 MB over 250 MB
    tick();
    assert.equal(h.collections, 2);
  });

  it('after a burst, collects again while RSS stays above the lowest level, at most followUps times', () => {
    const { h, tick } = harness({ followUps: 2 });
    h.rss = 300 * MB;
    h.afterGc = 280 * MB; // the burst's transactions are still alive: little comes back
    tick();
    assert.equal(h.collections, 1);
    tick(10000);
    assert.equal(h.collections, 1, 'not within the minimum interval');
    h.afterGc = 200 * MB; // its garbage has died since
    tick(20000);
    assert.equal(h.collections, 2, 'a follow-up once the interval passed, though nothing grew');
    h.afterGc = 190 * MB;
    tick(30000);
    assert.equal(h.collections, 3);
    for (let i = 0; i < 5; i++) tick(30000);
    assert.equal(h.collections, 3, 'no more than followUps');
  });

  it('makes no follow-up once RSS is back near the lowest level', () => {
    const { h, tick } = harness({ followUps: 3 });
    h.rss = 300 * MB;
    h.afterGc = 110 * MB; // within 16 MB of the 100 MB it started at
    tick();
    for (let i = 0; i < 5; i++) tick(30000);
    assert.equal(h.collections, 1);
  });

  it('does nothing while RSS does not grow', () => {
    const { h, tick } = harness();
    for (let i = 0; i < 120; i++) {
      h.rss = (100 - (i % 5)) * MB;
      tick();
    }
    assert.equal(h.collections, 0);
  });

  it('stop() clears its timer and no sample runs afterwards', () => {
    const { h, reducer } = harness();
    reducer.stop();
    assert.equal(h.cleared, true);
    assert.equal(h.callback, undefined);
    reducer.stop(); // idempotent
  });

  it('obtains the real collector without --expose-gc, and its default timer does not hold the process', () => {
    const gc = exposeGc();
    assert.equal(typeof gc, 'function');
    gc();
    const timers = (): number => process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
    const before = timers();
    const r = new MemoryReducer({ sampleMs: 60000 }).start();
    const during = timers();
    r.stop();
    assert.equal(during, before);
  });
});
