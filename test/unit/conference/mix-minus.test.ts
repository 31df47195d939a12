import assert from 'node:assert/strict';
import { decodeG711, encodeG711, type G711PayloadType } from '../../../lib/media/audio/g711';
import { FRAME_SAMPLES } from '../../../features/conference/mixer/jitter-buffer';
import { mixMinus, type MixSlot } from '../../../features/conference/mixer/mix-minus';

/** A member contributing a constant level (or nothing), hearing in `outPt`. */
function slot(level: number | null, inPt: G711PayloadType = 0, outPt: G711PayloadType = inPt): MixSlot {
  const bytes = level === null ? new Uint8Array(FRAME_SAMPLES) : encodeG711(new Int16Array(FRAME_SAMPLES).fill(level), inPt);
  return { inPt: level === null ? -1 : inPt, inBytes: bytes, inOff: 0, inLen: FRAME_SAMPLES, pcm: new Int16Array(FRAME_SAMPLES), outPt, out: new Uint8Array(12 + FRAME_SAMPLES), outOff: 12 };
}

/** What a slot hears, decoded (first sample: the frames are constant). */
function heard(s: MixSlot): number {
  const pcm = decodeG711(s.out.subarray(s.outOff), s.outPt);
  assert.ok(pcm.every((v) => v === pcm[0]), 'constant frame');
  return pcm[0];
}

/** The level a constant frame comes back at after one G.711 round trip. */
function g711(level: number, pt: G711PayloadType = 0): number {
  return decodeG711(encodeG711(Int16Array.of(level), pt), pt)[0];
}

const near = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= Math.max(16, Math.abs(expected) / 16), `${what}: ${actual} vs ${expected}`);

describe('conference mixer: mix-minus', () => {
  const sum = new Int32Array(FRAME_SAMPLES);

  it('each member hears the sum of the others, never itself', () => {
    const s = [slot(1000), slot(2000), slot(-500, 8), slot(null)];
    mixMinus(s, sum);
    near(heard(s[0]), g711(2000) + g711(-500, 8), 'member 0');
    near(heard(s[1]), g711(1000) + g711(-500, 8), 'member 1');
    near(heard(s[2]), g711(1000) + g711(2000), 'member 2 (A-law)');
    near(heard(s[3]), g711(1000) + g711(2000) + g711(-500, 8), 'a silent member hears everyone');
  });

  it('clamps the sum instead of wrapping around', () => {
    const s = [slot(30000), slot(30000), slot(30000), slot(-30000), slot(-30000), slot(null)];
    mixMinus(s.slice(0, 3).concat(s[5]), sum);
    assert.equal(heard(s[0]), g711(32767), 'two full-scale talkers saturate');
    assert.equal(heard(s[5]), g711(32767));
    mixMinus([s[3], s[4], s[5]], sum);
    assert.equal(heard(s[5]), g711(-32768), 'negative saturation');
  });

  it('forwards a lone talker as is (or transcoded) and sends it silence', () => {
    const talker = slot(1234, 0);
    const sameLaw = slot(null, 0, 0);
    const otherLaw = slot(null, 0, 8);
    mixMinus([talker, sameLaw, otherLaw], sum);
    assert.ok(Buffer.from(sameLaw.out.subarray(12)).equals(Buffer.from(talker.inBytes)), 'byte for byte');
    assert.equal(heard(otherLaw), g711(g711(1234), 8));
    assert.ok(talker.out.subarray(12).every((b) => b === 0xff), 'the talker hears silence');
  });

  it('sends silence in each member\'s law when nobody talks', () => {
    const s = [slot(null, 0, 0), slot(null, 0, 8)];
    mixMinus(s, sum);
    assert.ok(s[0].out.subarray(12).every((b) => b === 0xff));
    assert.ok(s[1].out.subarray(12).every((b) => b === 0xd5));
  });

  it('pads a short contribution with silence', () => {
    const a = slot(4000);
    a.inLen = 80;
    const b = slot(1000);
    const listener = slot(null);
    mixMinus([a, b, listener], sum);
    const pcm = decodeG711(listener.out.subarray(12), 0);
    near(pcm[0], g711(4000) + g711(1000), 'first half');
    near(pcm[FRAME_SAMPLES - 1], g711(1000), 'second half');
  });
});
