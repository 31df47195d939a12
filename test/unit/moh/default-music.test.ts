import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { defaultMusic } from '../../../features/moh/music/default-music';
import { decodeUlaw, encodeUlaw } from '../../../lib/media/audio/g711';
import { wavBytes } from '../../../lib/media/audio/wav';

const rms = (s: Int16Array): number => Math.sqrt(s.reduce((sum, v) => sum + v * v, 0) / s.length);

describe('moh music: default music', () => {
  const music = defaultMusic();

  it('is a 8-16 s loop of whole 20 ms frames at 8 kHz', () => {
    assert.ok(music.length >= 8 * 8000 && music.length <= 16 * 8000, `${music.length / 8000} s`);
    assert.equal(music.length % 160, 0);
  });

  it('is not silence: every second is well above the noise floor, and it does not clip', () => {
    const total = rms(music);
    assert.ok(total > 2000, `RMS ${total.toFixed(0)} (${(20 * Math.log10(total / 32768)).toFixed(1)} dBFS)`);
    for (let s = 0; s + 8000 <= music.length; s += 8000) {
      const second = rms(music.subarray(s, s + 8000));
      assert.ok(second > 1000, `second ${s / 8000}: RMS ${second.toFixed(0)}`);
    }
    const peak = music.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(peak < 30000, `peak ${peak}`);
    // still music after G.711: the codec does not crush it to silence
    assert.ok(rms(decodeUlaw(encodeUlaw(music))) > 2000);
  });

  it('has no clicks at the loop seam', () => {
    assert.ok(Math.abs(music[music.length - 1] - music[0]) < 200);
  });

  it('is deterministic: the same samples every call and every run', () => {
    assert.deepEqual(defaultMusic(), music);
    const digest = createHash('sha256').update(wavBytes(music)).digest('hex');
    // Pinned: a change to the music must be deliberate (update this after listening to it).
    assert.equal(digest, DIGEST);
  });
});

const DIGEST = '59d95d50bb6af4fb421239fb3981f4b4d69c882e5f467001ab31cc101b5d9d9f';
