import assert from 'node:assert/strict';
import { confirmationTone } from '../../../lib/media';
import { decodeUlaw } from '../../../lib/media/audio';
import { detectTone } from '../../support/goertzel';

describe('confirmationTone: the feature-code confirmation (GR-506: three 100 ms bursts of 350+440 Hz)', () => {
  it('is 500 ms of mu-law WAV, small enough for one ng datagram', () => {
    const t = confirmationTone();
    assert.equal(t.durationMs, 500);
    assert.ok(t.wav.length < 60_000, `${t.wav.length} bytes`);
  });

  it('bursts carry both frequencies, the gaps are silent', () => {
    // the 44-byte RIFF header of a mu-law WAV, then the samples
    const pcm = decodeUlaw(confirmationTone().wav.subarray(44));
    assert.equal(pcm.length, 4000);
    for (const [from, to, want] of [[0, 800, 'present'], [1600, 2400, 'present'], [3200, 4000, 'present']] as const) {
      for (const f of [350, 440]) assert.equal(detectTone(pcm.subarray(from, to), f).verdict, want, `${f} Hz in ${from}..${to}`);
      assert.equal(detectTone(pcm.subarray(from, to), 1000).verdict, 'absent');
    }
    for (const from of [800, 2400]) assert.ok(pcm.subarray(from, from + 800).every((x) => Math.abs(x) < 10), `silence at ${from}`);
  });
});
