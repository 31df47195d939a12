import assert from 'node:assert/strict';
import { FrameBatch, type Scheduler } from '../../../console/src/model/frame-batch';

/** A frame clock the test advances by hand. */
function frames(): { schedule: Scheduler; tick(): void; scheduled: () => number } {
  let waiting: Array<() => void> = [];
  let count = 0;
  return {
    schedule: (cb) => {
      count++;
      waiting.push(cb);
      return () => {
        waiting = waiting.filter((w) => w !== cb);
      };
    },
    tick: () => {
      const now = waiting;
      waiting = [];
      now.forEach((cb) => cb());
    },
    scheduled: () => count,
  };
}

describe('console: events applied once per frame', () => {
  it('every event of a frame is applied in one batch, in order, with one frame asked for', () => {
    const f = frames();
    const batches: number[][] = [];
    const b = new FrameBatch<number>((items) => batches.push(items), f.schedule);
    for (let i = 0; i < 200; i++) b.push(i);
    assert.deepEqual(batches, []);
    assert.equal(f.scheduled(), 1);
    f.tick();
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0], Array.from({ length: 200 }, (_, i) => i));
    b.push(200);
    f.tick();
    assert.deepEqual(batches[1], [200]);
    f.tick();
    assert.equal(batches.length, 2, 'no frame, no empty batch');
  });

  it('a queue that reaches its bound is applied at once (no frames in a background tab)', () => {
    const f = frames();
    const batches: number[][] = [];
    const b = new FrameBatch<number>((items) => batches.push(items), f.schedule, 10);
    for (let i = 0; i < 25; i++) b.push(i);
    assert.deepEqual(batches.map((x) => x.length), [10, 10]);
    assert.equal(b.pending, 5);
    f.tick();
    assert.deepEqual(batches.map((x) => x.length), [10, 10, 5]);
  });

  it('clear drops what is queued and cancels the frame', () => {
    const f = frames();
    const batches: number[][] = [];
    const b = new FrameBatch<number>((items) => batches.push(items), f.schedule);
    b.push(1);
    b.clear();
    f.tick();
    assert.deepEqual(batches, []);
    b.push(2);
    f.tick();
    assert.deepEqual(batches, [[2]]);
  });
});
