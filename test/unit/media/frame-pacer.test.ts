import assert from 'node:assert/strict';
import { FramePacer } from '../../../lib/media/audio/frame-pacer';

describe('moh music: frame pacer (drift-free 20 ms clock)', () => {
  it('sends each frame once, when due, and says how long until the next', () => {
    const p = new FramePacer(20, 1000);
    p.restart(1000);
    assert.deepEqual(p.take(1000), { frames: [0], skipped: 0 });
    assert.equal(p.delay(1000), 20);
    assert.deepEqual(p.take(1019.9), { frames: [], skipped: 0 }, 'a timer that fires early sends nothing');
    assert.ok(Math.abs(p.delay(1019.9) - 0.1) < 1e-9);
    assert.deepEqual(p.take(1021), { frames: [1], skipped: 0 });
    assert.equal(p.delay(1021), 19, 'lateness is not carried into the next due time');
  });

  it('does not drift: due times come from the epoch, not from when the timer fired', () => {
    const p = new FramePacer(20, 0);
    p.restart(0);
    let now = 0;
    let sent = 0;
    for (let i = 0; i < 3000; i++) {
      sent += p.take(now).frames.length;
      now += p.delay(now) + 1.7; // every timer 1.7 ms late
    }
    const expected = Math.floor(now / 20) - 1;
    assert.ok(Math.abs(sent - expected) <= 1, `sent ${sent}, expected about ${expected}`);
  });

  it('catches up after a late tick with at most maxBurst frames, skipping older ones', () => {
    const p = new FramePacer(20, 0, 3);
    p.restart(0);
    p.take(0);
    assert.deepEqual(p.take(45), { frames: [1, 2], skipped: 0 }, 'two due: both sent');
    assert.deepEqual(p.take(205), { frames: [8, 9, 10], skipped: 5 }, 'frames 3-7 skipped');
    assert.deepEqual(p.take(220), { frames: [11], skipped: 0 });
  });

  it('resumes at the current position after an idle spell, never repeating a frame', () => {
    const p = new FramePacer(20, 0);
    p.restart(0);
    p.take(0);
    p.restart(10_000); // nobody listened for 10 s
    assert.deepEqual(p.take(10_000), { frames: [500], skipped: 0 });
    p.restart(10_005); // idle and back within the same frame
    assert.deepEqual(p.take(10_005), { frames: [], skipped: 0 });
    assert.deepEqual(p.take(10_020), { frames: [501], skipped: 0 });
  });
});
