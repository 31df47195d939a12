import assert from 'node:assert/strict';
import { FramePacer } from '../../../lib/media/audio/frame-pacer';
import { TickClock, type ClockPlatform } from '../../../features/conference/mixer/tick-clock';

/** A hand-driven clock: time moves only when the test says, timers fire only when the test fires them. */
class FakePlatform implements ClockPlatform {
  time = 0;
  private nextHandle = 1;
  readonly timers = new Map<number, { fn: () => void; ms: number }>();

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const h = this.nextHandle++;
    this.timers.set(h, { fn, ms });
    return h;
  }

  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** The one armed timer's delay. */
  armed(): number {
    assert.equal(this.timers.size, 1, 'exactly one timer armed');
    return [...this.timers.values()][0].ms;
  }

  /** Fire the armed timer at `time`. */
  fire(time: number): void {
    this.time = time;
    const [[h, t]] = [...this.timers.entries()];
    this.timers.delete(h);
    t.fn();
  }
}

interface Run {
  ticks: number[];
  skipped: number;
  at: number;
}

function setup(period = 5, maxBurst = 3): { p: FakePlatform; clock: TickClock; runs: Run[] } {
  const p = new FakePlatform();
  const runs: Run[] = [];
  const clock = new TickClock(new FramePacer(period, 0, maxBurst), (ticks, skipped, at) => runs.push({ ticks: [...ticks], skipped, at }), p);
  return { p, clock, runs };
}

describe('conference mixer: tick clock', () => {
  it('runs each tick once from its timer, re-arming for the next due time', () => {
    const { p, clock, runs } = setup();
    p.time = 1;
    clock.start();
    assert.equal(p.armed(), 0, 'starts with the tick current now (tick 0, due at 0 ms)');
    p.fire(1);
    assert.equal(p.armed(), 4, 'tick 1 is due at 5 ms');
    p.fire(5.2);
    assert.deepEqual(runs, [{ ticks: [0], skipped: 0, at: 1 }, { ticks: [1], skipped: 0, at: 5.2 }]);
    assert.equal(p.armed(), 5, 'tick 2 is due at 10 ms: 4.8 ms, rounded up to the timer grain');
  });

  it('a timer that fires early (libuv keeps whole milliseconds) runs nothing and waits again', () => {
    const { p, clock, runs } = setup();
    p.time = 1;
    clock.start();
    p.fire(1);
    p.fire(4.6);
    assert.deepEqual(runs.map((r) => r.ticks), [[0]]);
    assert.equal(p.armed(), 1);
    p.fire(5.1);
    assert.deepEqual(runs.map((r) => r.ticks), [[0], [1]]);
  });

  it('poll() from the receive path runs a due tick before its timer, and the timer then does not', () => {
    const { p, clock, runs } = setup();
    p.time = 1;
    clock.start();
    p.fire(1);
    p.time = 4.9;
    assert.equal(clock.poll(), false, 'not due yet');
    p.time = 5;
    assert.equal(clock.poll(), true);
    assert.equal(clock.poll(), false, 'tick 1 already ran');
    assert.deepEqual(runs.slice(1), [{ ticks: [1], skipped: 0, at: 5 }]);
    assert.equal(p.armed(), 5, 'only the timer for tick 2 is left');
    p.fire(10.3);
    assert.deepEqual(runs.map((r) => r.ticks), [[0], [1], [2]]);
  });

  it('after a stall hands over at most maxBurst ticks and says how many it skipped', () => {
    const { p, clock, runs } = setup(5, 3);
    clock.start();
    p.time = 31; // ticks 0..6 due
    assert.equal(clock.poll(), true);
    assert.deepEqual(runs, [{ ticks: [4, 5, 6], skipped: 4, at: 31 }], 'ticks 0..3 skipped');
  });

  it('is not re-entered by a poll() inside a tick', () => {
    const p = new FakePlatform();
    let inner: boolean | undefined;
    const clock: TickClock = new TickClock(new FramePacer(5, 0), () => {
      p.time += 6; // a long tick: the next one is already due
      inner = clock.poll();
    }, p);
    clock.start();
    p.time = 5;
    clock.poll();
    assert.equal(inner, false);
  });

  it('stop() clears the timer and makes poll() a no-op; start() resumes at the current tick', () => {
    const { p, clock, runs } = setup();
    clock.start();
    assert.equal(clock.isRunning, true);
    clock.stop();
    assert.equal(clock.isRunning, false);
    assert.equal(p.timers.size, 0);
    p.time = 100;
    assert.equal(clock.poll(), false);
    clock.start();
    p.time = 105;
    assert.equal(clock.poll(), true);
    assert.deepEqual(runs, [{ ticks: [20, 21], skipped: 0, at: 105 }], 'resumes at the tick current when started, no backlog');
  });

  it('a tick that stops the clock leaves no timer armed', () => {
    const p = new FakePlatform();
    const clock: TickClock = new TickClock(new FramePacer(5, 0), () => clock.stop(), p);
    clock.start();
    p.fire(0);
    assert.equal(clock.isRunning, false);
    assert.equal(p.timers.size, 0);
  });
});
