import assert from 'node:assert/strict';
import { coalesced } from '../../../console/src/model/coalesce';

describe('console: coalesced refresh', () => {
  it('a burst of asks while one runs makes exactly one more run, never two at once', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const gates: Array<() => void> = [];
    const refresh = coalesced(async () => {
      runs++;
      running++;
      most = Math.max(most, running);
      await new Promise<void>((r) => gates.push(r));
      running--;
    });
    const first = refresh();
    for (let i = 0; i < 5; i++) void refresh();
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
    assert.equal(runs, 2, 'one more run for the burst');
    gates.shift()?.();
    await first;
    assert.deepEqual([runs, most], [2, 1]);
    const later = refresh();
    gates.shift()?.();
    await later;
    assert.equal(runs, 3, 'an ask after it settled runs again');
  });

  it('a failed run is reported and the next ask runs again', async () => {
    let n = 0;
    const refresh = coalesced(async () => {
      n++;
      if (n === 1) throw new Error('down');
    });
    await assert.rejects(refresh(), /down/);
    await refresh();
    assert.equal(n, 2);
  });

  it('with minGapMs, the run asked for meanwhile waits out the gap since the last one started', async () => {
    let t = 0;
    const waits: number[] = [];
    const starts: number[] = [];
    let ask: () => Promise<void> = () => Promise.resolve();
    const refresh = coalesced(async () => {
      starts.push(t);
      t += 300; // the fetch takes 300 ms
      if (starts.length === 1) void ask(); // an event arrives while it runs
    }, { minGapMs: 2000, now: () => t, wait: async (ms) => { waits.push(ms); t += ms; } });
    ask = refresh;
    await refresh();
    assert.deepEqual(waits, [1700], 'waited the rest of the 2 s gap');
    assert.deepEqual(starts, [0, 2000]);
    await refresh();
    assert.deepEqual(waits, [1700], 'an ask with nothing before it runs at once');
  });
});
