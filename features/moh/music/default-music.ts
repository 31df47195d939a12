/**
 * The server's own hold music, synthesized here so nothing copyrighted ships and nothing
 * is downloaded: a 12 s, 6-bar lullaby in C major pentatonic over a soft I-vi-IV-V-I-V pad,
 * 8 kHz PCM16 mono. It ends on the dominant so the loop back to the start resolves.
 *
 * Deterministic: pure arithmetic on fixed tables (V8's Math.sin is its own fdlibm port,
 * identical on every platform), so every run and every node yields the same samples.
 */
export { readWav, writeWav } from '../../../lib/media/audio/wav';

export const DEFAULT_MUSIC_RATE = 8000;

const BEAT_S = 0.5; // 120 beats per minute
const BAR_BEATS = 4;

/** Melody as [MIDI note, beats]; 24 beats = 6 bars = 12 s. */
const MELODY: ReadonlyArray<readonly [number, number]> = [
  [72, 1], [76, 1], [79, 1], [76, 1], // C:  C5 E5 G5 E5
  [81, 1.5], [79, 0.5], [76, 2], //      Am: A5 G5 E5
  [72, 1], [74, 1], [76, 1], [81, 1], // F:  C5 D5 E5 A5
  [79, 2], [74, 2], //                   G:  G5 D5
  [76, 1], [74, 1], [72, 1], [74, 1], // C:  E5 D5 C5 D5
  [71, 1], [74, 1], [67, 2], //          G:  B4 D5 G4
];

/** One pad chord per bar, as MIDI notes (kept above ~250 Hz: telephone band is 300-3400 Hz). */
const PAD: ReadonlyArray<readonly number[]> = [
  [60, 64, 67], // C
  [57, 60, 64], // Am
  [57, 60, 65], // F
  [59, 62, 67], // G
  [60, 64, 67], // C
  [59, 62, 67], // G
];

const MELODY_LEVEL = 0.18;
const PAD_LEVEL = 0.028; // per chord note
/** Attack and release ramps: long enough to avoid clicks at note edges. */
const ATTACK_S = 0.012;
const RELEASE_S = 0.04;

const hz = (midi: number): number => 440 * 2 ** ((midi - 69) / 12);

/**
 * Add one note into the mix: a sine with a little 2nd and 3rd harmonic (a soft, music-box
 * like timbre), exponential decay of `decayS`, and linear fades in and out.
 */
function addNote(mix: Float64Array, rate: number, start: number, length: number, freq: number, level: number, decayS: number): void {
  const attack = Math.round(ATTACK_S * rate);
  const release = Math.round(RELEASE_S * rate);
  const w = (2 * Math.PI * freq) / rate;
  for (let n = 0; n < length; n++) {
    let env = Math.exp(-n / (decayS * rate));
    if (n < attack) env *= n / attack;
    if (n >= length - release) env *= (length - n) / release;
    const tone = Math.sin(w * n) + 0.25 * Math.sin(2 * w * n) + 0.08 * Math.sin(3 * w * n);
    mix[start + n] += level * env * tone;
  }
}

/** The default hold music: 12 s at 8 kHz, PCM16 mono, RMS about -20 dBFS, peaks about -11 dBFS. */
export function defaultMusic(): Int16Array {
  const rate = DEFAULT_MUSIC_RATE;
  const beat = Math.round(BEAT_S * rate);
  const totalBeats = MELODY.reduce((sum, [, beats]) => sum + beats, 0);
  const mix = new Float64Array(totalBeats * beat);

  let at = 0;
  for (const [note, beats] of MELODY) {
    const length = Math.round(beats * beat);
    addNote(mix, rate, at, length, hz(note), MELODY_LEVEL, 0.9);
    at += length;
  }
  PAD.forEach((chord, bar) => {
    for (const note of chord) addNote(mix, rate, bar * BAR_BEATS * beat, BAR_BEATS * beat, hz(note), PAD_LEVEL, 3);
  });

  const out = new Int16Array(mix.length);
  for (let i = 0; i < mix.length; i++) {
    const v = Math.round(mix[i] * 32767);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}
