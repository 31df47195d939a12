import assert from 'node:assert/strict';
import { detectTone, sineTone, toneShare } from '../../support/goertzel';

describe('test support: Goertzel tone detection', () => {
  it('finds a pure tone at its frequency only', () => {
    const tone = sineTone(1100, 1600);
    assert.ok(Math.abs(toneShare(tone, 1100) - 1) < 0.01);
    assert.ok(toneShare(tone, 500) < 0.001);
    assert.equal(detectTone(tone, 1100).verdict, 'present');
    assert.equal(detectTone(tone, 1700).verdict, 'absent');
  });

  it('splits the energy between mixed tones, whatever the level', () => {
    const a = sineTone(500, 1600, 200);
    const b = sineTone(1700, 1600, 200);
    const mix = a.map((v, i) => v + b[i]);
    assert.ok(Math.abs(toneShare(mix, 500) - 0.5) < 0.01);
    assert.equal(detectTone(mix, 1700).verdict, 'present');
    assert.equal(detectTone(mix, 1100).verdict, 'absent');
  });

  it('calls silence absent, and a weak tone in noise unclear', () => {
    assert.equal(detectTone(new Int16Array(800), 500).verdict, 'absent');
    let seed = 1;
    const noise = Int16Array.from({ length: 1600 }, () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 2001) - 1000);
    const weak = sineTone(500, 1600, 120).map((v, i) => v + noise[i]);
    assert.equal(detectTone(weak, 500).verdict, 'unclear');
  });
});
