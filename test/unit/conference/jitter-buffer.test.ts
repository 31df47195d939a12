import assert from 'node:assert/strict';
import { FRAME_BYTES, JitterBuffer, PlayoutState } from '../../../features/conference/mixer/jitter-buffer';

/** A payload whose bytes all equal the low byte of its sequence number, to tell frames apart. */
function push(jb: JitterBuffer, seq: number, len = FRAME_BYTES, pt = 0): void {
  const b = new Uint8Array(len + 12).fill(seq & 0xff);
  jb.push(seq, pt, b, 12, len);
}

/** What each pop gives: the sequence number's low byte, or null for nothing. */
function pops(jb: JitterBuffer, n: number): Array<number | null> {
  const out: Array<number | null> = [];
  for (let i = 0; i < n; i++) {
    const off = jb.pop();
    out.push(off < 0 ? null : jb.payloads[off]);
  }
  return out;
}

describe('conference mixer: jitter buffer', () => {
  it('waits for the playout delay, then plays in sequence order', () => {
    const jb = new JitterBuffer({ playoutFrames: 2 });
    assert.equal(jb.state, PlayoutState.Idle);
    assert.equal(jb.pop(), -1);
    push(jb, 10);
    assert.equal(jb.state, PlayoutState.Priming);
    assert.deepEqual(pops(jb, 1), [null], 'one frame is not enough');
    push(jb, 11);
    assert.deepEqual(pops(jb, 1), [10]);
    assert.equal(jb.state, PlayoutState.Playing);
    push(jb, 12);
    assert.deepEqual(pops(jb, 2), [11, 12]);
    assert.equal(jb.counters.played, 3);
  });

  it('reorders packets, even before playout starts', () => {
    const jb = new JitterBuffer({ playoutFrames: 2 });
    push(jb, 21);
    push(jb, 20);
    push(jb, 23);
    push(jb, 22);
    assert.deepEqual(pops(jb, 4), [20, 21, 22, 23]);
  });

  it('a lost packet yields nothing for its tick and does not hold up the next', () => {
    const jb = new JitterBuffer({ playoutFrames: 2 });
    push(jb, 1);
    push(jb, 2);
    push(jb, 4);
    assert.deepEqual(pops(jb, 3), [1, 2, null]);
    push(jb, 5);
    assert.deepEqual(pops(jb, 2), [4, 5]);
    assert.equal(jb.counters.missing, 1);
  });

  it('drops a packet whose turn has passed, and duplicates', () => {
    const jb = new JitterBuffer({ playoutFrames: 1 });
    push(jb, 1);
    push(jb, 3);
    assert.deepEqual(pops(jb, 2), [1, null]);
    push(jb, 2); // too late: 3 is buffered, so this is not a resumption
    push(jb, 3);
    assert.deepEqual(pops(jb, 1), [3]);
    assert.equal(jb.counters.late, 1);
    assert.equal(jb.counters.duplicate, 1);
  });

  it('resumes after the buffer ran dry (silence suppression) instead of dropping the talkspurt', () => {
    const jb = new JitterBuffer({ playoutFrames: 2 });
    push(jb, 1);
    push(jb, 2);
    assert.deepEqual(pops(jb, 5), [1, 2, null, null, null]);
    push(jb, 3); // sequence continues, but the playout point is already at 6
    push(jb, 4);
    assert.deepEqual(pops(jb, 2), [3, 4]);
    assert.equal(jb.counters.late, 0);
  });

  it('drops the oldest frames when the buffer grows past its limit', () => {
    const jb = new JitterBuffer({ playoutFrames: 2, maxFrames: 4 });
    push(jb, 1);
    push(jb, 2);
    assert.deepEqual(pops(jb, 1), [1]);
    for (let s = 3; s <= 8; s++) push(jb, s); // a burst: 2..8 buffered
    assert.deepEqual(pops(jb, 2), [7, 8], 'trimmed back to the playout delay');
    assert.equal(jb.counters.trimmed, 5);
  });

  it('follows the sequence number across its 16-bit wrap', () => {
    const jb = new JitterBuffer({ playoutFrames: 2 });
    push(jb, 65534);
    push(jb, 0);
    push(jb, 65535);
    push(jb, 1);
    assert.deepEqual(pops(jb, 4), [0xfe, 0xff, 0, 1]);
  });

  it('starts over on a sequence jump and after reset()', () => {
    const jb = new JitterBuffer({ playoutFrames: 1 });
    push(jb, 100);
    assert.deepEqual(pops(jb, 1), [100]);
    push(jb, 5000);
    assert.deepEqual(pops(jb, 1), [5000 & 0xff]);
    jb.reset();
    assert.equal(jb.state, PlayoutState.Idle);
    push(jb, 7);
    assert.deepEqual(pops(jb, 1), [7]);
  });

  it('keeps the payload type and length of each frame (a short payload stays short)', () => {
    const jb = new JitterBuffer({ playoutFrames: 1 });
    push(jb, 1, 80, 8);
    assert.ok(jb.pop() >= 0);
    assert.equal(jb.payloadType, 8);
    assert.equal(jb.length, 80);
    push(jb, 2, 400); // longer than a frame: cut to 160
    assert.ok(jb.pop() >= 0);
    assert.equal(jb.length, FRAME_BYTES);
  });
});
