import assert from 'node:assert/strict';
import {
  alawToLinear,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  linearToAlaw,
  linearToUlaw,
  ulawToLinear,
} from '../../../lib/media/audio/g711';

describe('moh music: G.711 (ITU-T G.711, Sun g711.c algorithm)', () => {
  it('encodes silence as 0xFF (mu-law) and 0xD5 (A-law)', () => {
    assert.equal(linearToUlaw(0), 0xff);
    assert.equal(linearToAlaw(0), 0xd5);
    assert.equal(ulawToLinear(0xff), 0);
    assert.equal(alawToLinear(0xd5), 8); // A-law has no zero code: the smallest step is +-8
  });

  it('encodes full scale to the extreme codes', () => {
    assert.equal(linearToUlaw(32767), 0x80);
    assert.equal(linearToUlaw(-32768), 0x00);
    assert.equal(linearToAlaw(32767), 0xaa);
    assert.equal(linearToAlaw(-32768), 0x2a);
    assert.equal(ulawToLinear(0x80), 32124);
    assert.equal(ulawToLinear(0x00), -32124);
    assert.equal(alawToLinear(0xaa), 32256);
    assert.equal(alawToLinear(0x2a), -32256);
  });

  it('matches known table values', () => {
    // mu-law: 1000 lies in segment 3 (biased 14-bit 250+33=283), A-law in segment 3 too
    assert.equal(linearToUlaw(1000), 0xce);
    assert.equal(linearToUlaw(-1000), 0x4e);
    assert.equal(linearToAlaw(1000), 0xfa);
    assert.equal(linearToAlaw(-1000), 0x7a);
    assert.equal(ulawToLinear(0xce), 988);
    assert.equal(alawToLinear(0xfa), 1008);
  });

  it('clamps out-of-range input instead of wrapping', () => {
    assert.equal(linearToUlaw(100000), linearToUlaw(32767));
    assert.equal(linearToAlaw(-100000), linearToAlaw(-32768));
  });

  it('round trips every 16-bit value within the quantization step', () => {
    for (const [name, enc, dec] of [
      ['mu-law', linearToUlaw, ulawToLinear],
      ['A-law', linearToAlaw, alawToLinear],
    ] as const) {
      for (let x = -32768; x <= 32767; x++) {
        const err = Math.abs(dec(enc(x)) - x);
        // G.711 keeps 4 mantissa bits: error below 1/16 of the value, plus the small-signal step
        const bound = Math.abs(x) > 32124 ? 650 : Math.max(16, Math.abs(x) / 16);
        if (err > bound) assert.fail(`${name}: ${x} -> ${dec(enc(x))}, error ${err} > ${bound}`);
      }
    }
  });

  it('decodes and re-encodes every code to itself (except mu-law negative zero)', () => {
    for (let b = 0; b < 256; b++) {
      assert.equal(linearToAlaw(alawToLinear(b)), b, `A-law 0x${b.toString(16)}`);
      if (b !== 0x7f) assert.equal(linearToUlaw(ulawToLinear(b)), b, `mu-law 0x${b.toString(16)}`);
    }
    assert.equal(ulawToLinear(0x7f), 0);
  });

  it('encodes and decodes arrays', () => {
    const pcm = Int16Array.from([0, 1000, -1000, 32767, -32768]);
    assert.deepEqual([...encodeUlaw(pcm)], [0xff, 0xce, 0x4e, 0x80, 0x00]);
    assert.deepEqual([...encodeAlaw(pcm)], [0xd5, 0xfa, 0x7a, 0xaa, 0x2a]);
    assert.deepEqual([...decodeUlaw(encodeUlaw(pcm))], [0, 988, -988, 32124, -32124]);
    assert.equal(decodeAlaw(encodeAlaw(pcm)).length, pcm.length);
  });
});
