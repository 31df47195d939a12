import assert from 'node:assert/strict';
import { alawToLinear, linearToAlaw, linearToUlaw, ulawToLinear } from '../../../lib/media/audio/g711';
import {
  ALAW_DECODE, ALAW_ENCODE, ALAW_SILENCE, ALAW_TO_ULAW, ENCODE_OFFSET, ULAW_DECODE, ULAW_ENCODE, ULAW_SILENCE, ULAW_TO_ALAW,
} from '../../../features/conference/mixer/g711-tables';

describe('conference mixer: G.711 lookup tables', () => {
  it('decode tables agree with lib/media/audio/g711 for all 256 bytes', () => {
    for (let b = 0; b < 256; b++) {
      assert.equal(ULAW_DECODE[b], ulawToLinear(b), `mu-law ${b}`);
      assert.equal(ALAW_DECODE[b], alawToLinear(b), `A-law ${b}`);
    }
  });

  it('encode tables agree with lib/media/audio/g711 for all 65536 samples', () => {
    for (let x = -32768; x <= 32767; x++) {
      const i = (x >> 2) + ENCODE_OFFSET;
      if (ULAW_ENCODE[i] !== linearToUlaw(x)) assert.fail(`mu-law of ${x}: ${ULAW_ENCODE[i]} != ${linearToUlaw(x)}`);
      if (ALAW_ENCODE[i] !== linearToAlaw(x)) assert.fail(`A-law of ${x}: ${ALAW_ENCODE[i]} != ${linearToAlaw(x)}`);
    }
  });

  it('transcode tables are decode-then-encode', () => {
    for (let b = 0; b < 256; b++) {
      assert.equal(ULAW_TO_ALAW[b], linearToAlaw(ulawToLinear(b)));
      assert.equal(ALAW_TO_ULAW[b], linearToUlaw(alawToLinear(b)));
    }
  });

  it('knows each law\'s silence byte', () => {
    assert.equal(ULAW_SILENCE, 0xff);
    assert.equal(ALAW_SILENCE, 0xd5);
  });
});
