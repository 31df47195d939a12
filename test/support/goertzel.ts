/**
 * Goertzel's algorithm: the power of one frequency in a block of PCM, in O(N) without an
 * FFT. Used by the conference tests to tell which members' tones a member hears.
 */

/** |X(f)|^2 of the block, as a DFT bin would give it (no window). */
export function goertzelPower(samples: ArrayLike<number>, freq: number, rate = 8000): number {
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/**
 * The share (0..1) of the block's energy that is in `freq`: 1 for a pure tone with a whole
 * number of cycles in the block, about 1/k for each of k equal tones, ~0 for a tone not
 * there. For a sine of amplitude A over N samples, |X|^2 = (A N / 2)^2 and the energy is
 * A^2 N / 2, hence the 2 / N.
 */
export function toneShare(samples: ArrayLike<number>, freq: number, rate = 8000): number {
  let energy = 0;
  for (let i = 0; i < samples.length; i++) energy += samples[i] * samples[i];
  if (energy === 0 || samples.length === 0) return 0;
  return (2 * goertzelPower(samples, freq, rate)) / (samples.length * energy);
}

export type ToneVerdict = 'present' | 'absent' | 'unclear';

export interface ToneThresholds {
  /** share at or above which the tone is present; default 0.1 (-10 dB of the total) */
  present?: number;
  /** share at or below which it is absent; default 0.01 (-20 dB) */
  absent?: number;
  /** RMS below which the block counts as silence (every tone absent); default 30 (about -60 dBFS) */
  silenceRms?: number;
  rate?: number;
}

/**
 * Whether a tone is in a block, relative to the block's total power (so it does not
 * depend on levels), with a gap between the two thresholds: a share in between is
 * 'unclear', which a test should treat as a failure either way rather than round.
 */
export function detectTone(samples: ArrayLike<number>, freq: number, t: ToneThresholds = {}): { verdict: ToneVerdict; share: number; rms: number } {
  let energy = 0;
  for (let i = 0; i < samples.length; i++) energy += samples[i] * samples[i];
  const rms = samples.length ? Math.sqrt(energy / samples.length) : 0;
  if (rms < (t.silenceRms ?? 30)) return { verdict: 'absent', share: 0, rms };
  const share = toneShare(samples, freq, t.rate ?? 8000);
  const verdict = share >= (t.present ?? 0.1) ? 'present' : share <= (t.absent ?? 0.01) ? 'absent' : 'unclear';
  return { verdict, share, rms };
}

/** A sine tone, 16-bit: `count` samples of `freq` Hz at `amplitude`, starting at sample `from`. */
export function sineTone(freq: number, count: number, amplitude = 8000, from = 0, rate = 8000): Int16Array {
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * (from + i)) / rate));
  return out;
}
