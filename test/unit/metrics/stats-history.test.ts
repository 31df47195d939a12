import assert from 'node:assert/strict';
import { Counter, Gauge, Registry } from 'prom-client';
import { HISTORY_METRICS, Ring, StatsHistory } from '../../../lib/metrics';

describe('metrics: ring of samples', () => {
  it('keeps the last `capacity` items, oldest first', () => {
    const r = new Ring<number>(3);
    assert.deepEqual(r.toArray(), []);
    r.push(1);
    r.push(2);
    assert.deepEqual(r.toArray(), [1, 2]);
    r.push(3);
    r.push(4);
    r.push(5);
    assert.deepEqual(r.toArray(), [3, 4, 5]);
    assert.equal(r.size, 3);
  });

  it('a capacity that is no positive integer is refused', () => {
    assert.throws(() => new Ring(0), RangeError);
    assert.throws(() => new Ring(1.5), RangeError);
  });
});

describe('metrics: one-hour history', () => {
  const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
  let registry: Registry;
  let offered: Counter;
  let answered: Counter;
  let parked: number;
  let now: number;
  let history: StatsHistory;

  beforeEach(async () => {
    registry = new Registry();
    offered = new Counter({ name: HISTORY_METRICS.offered, help: 'x', registers: [registry] });
    answered = new Counter({ name: HISTORY_METRICS.answered, help: 'x', registers: [registry] });
    parked = 0;
    new Gauge({ name: HISTORY_METRICS.parked, help: 'x', registers: [registry], collect() { this.set(parked); } });
    offered.inc(7); // before the history began: not counted
    now = T0 + 15_000;
    history = new StatsHistory(registry, { now: () => now });
    await history.begin();
    history.stop();
  });

  it('one sample per minute: counter deltas, gauges at its end, the minute under way last', async () => {
    offered.inc(4);
    answered.inc(3);
    parked = 2;
    now = T0 + 60_000;
    await history.sample();
    offered.inc(1);
    now = T0 + 70_000;
    const samples = await history.history();
    assert.deepEqual(samples, [
      { start: T0, offered: 4, answered: 3, parked: 2, conferences: null },
      { start: T0 + 60_000, offered: 1, answered: 0, parked: 2, conferences: null, partial: true },
    ]);
  });

  it('keeps 60 minutes: the 61st closed minute drops the first', async () => {
    for (let m = 1; m <= 61; m++) {
      offered.inc(m);
      now = T0 + m * 60_000;
      await history.sample();
    }
    const samples = await history.history();
    assert.equal(samples.length, 61);
    assert.equal(samples[0].offered, 2);
    assert.equal(samples[0].start, T0 + 60_000);
    assert.equal(samples[59].offered, 61);
    assert.equal(samples[60].partial, true);
  });

  it('a sample taken early (a timer a little ahead) still moves on one minute', async () => {
    now = T0 + 59_990;
    await history.sample();
    const [closed, current] = await history.history();
    assert.equal(closed.start, T0);
    assert.equal(current.start, T0 + 60_000);
  });

  it('a gauge no feature registered is null', async () => {
    const bare = new Registry();
    const h = new StatsHistory(bare, { now: () => now });
    const [s] = await h.history();
    assert.deepEqual([s.offered, s.answered, s.parked, s.conferences], [0, 0, null, null]);
  });
});
