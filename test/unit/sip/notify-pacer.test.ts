import assert from 'node:assert/strict';
import { NotifyPacer } from '../../../lib/sip/notify-pacer';

/** A clock and timers a test moves by hand. */
function fakeTime(): { now: () => number; timers: { setTimeout(f: () => void, ms: number): unknown; clearTimeout(t: unknown): void }; advance(ms: number): void; pending(): number } {
  let t = 0;
  let seq = 0;
  const due = new Map<number, { at: number; f: () => void }>();
  return {
    now: () => t,
    timers: {
      setTimeout(f, ms) {
        due.set(++seq, { at: t + ms, f });
        return seq;
      },
      clearTimeout(id) {
        due.delete(id as number);
      },
    },
    advance(ms) {
      t += ms;
      for (const [id, d] of [...due]) {
        if (d.at <= t) {
          due.delete(id);
          d.f();
        }
      }
    },
    pending: () => due.size,
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('sip: NOTIFY pacing (RFC 6665 4.2.2, RFC 6446)', () => {
  it('sends the first change at once, coalesces changes in between, and always sends the last state', async () => {
    const time = fakeTime();
    let state = 0;
    const sent: number[] = [];
    const answers: Array<(keep: boolean) => void> = [];
    const pacer = new NotifyPacer(() => {
      sent.push(state);
      return new Promise<boolean>((r) => answers.push(r));
    }, { intervalMs: 1000, now: time.now, timers: time.timers });
    state = 1;
    pacer.poke();
    assert.deepEqual(sent, [1]);
    for (state = 2; state <= 50; state++) pacer.poke();
    state = 50;
    assert.deepEqual(sent, [1], 'nothing more while the first is unanswered');
    assert.equal(pacer.outstanding, 1);
    answers[0](true);
    await tick();
    assert.deepEqual(sent, [1], 'nor before the interval has passed');
    assert.equal(time.pending(), 1, 'one timer, not one per change');
    time.advance(1000);
    assert.deepEqual(sent, [1, 50], 'then one NOTIFY with the last state');
    answers[1](true);
    await tick();
    time.advance(5000);
    assert.deepEqual(sent, [1, 50], 'nothing changed since: nothing sent');
    pacer.poke();
    assert.deepEqual(sent, [1, 50, 50], 'a change after a quiet interval goes at once');
  });

  it('stops and reports the subscription gone when a NOTIFY fails (481, 408, transport error)', async () => {
    const time = fakeTime();
    let gone = 0;
    let n = 0;
    const pacer = new NotifyPacer(() => {
      n++;
      return Promise.reject(new Error('transport'));
    }, { intervalMs: 0, now: time.now, timers: time.timers, onGone: () => gone++ });
    pacer.poke();
    await tick();
    await tick();
    assert.equal(gone, 1);
    assert.ok(pacer.isClosed);
    pacer.poke();
    time.advance(10000);
    assert.equal(n, 1, 'nothing sent after it is gone');
  });

  it('sends nothing after close, and a pending timer is cleared', async () => {
    const time = fakeTime();
    let n = 0;
    const pacer = new NotifyPacer(async () => {
      n++;
      return true;
    }, { intervalMs: 1000, now: time.now, timers: time.timers });
    pacer.poke();
    await tick();
    pacer.poke();
    await tick();
    assert.equal(time.pending(), 1);
    pacer.close();
    assert.equal(time.pending(), 0);
    time.advance(2000);
    assert.equal(n, 1);
  });
});
