import { encodeUlaw, ulawWavBytes, WAV_RATE } from './audio';

/** A prompt rtpengine plays from the ng request itself (`blob`): mu-law WAV bytes and how long they play. */
export interface TonePrompt {
  wav: Buffer;
  durationMs: number;
}

/** Telcordia GR-506 (LSSGR) confirmation tone: 350 + 440 Hz, three 100 ms bursts 100 ms apart. */
const FREQS = [350, 440] as const;
const BURSTS = 3;
const ON_MS = 100;
const OFF_MS = 100;
/** each component at -13 dBm0-ish: well clear of clipping when the two add up */
const AMPLITUDE = 6000;

let cached: TonePrompt | undefined;

/**
 * The short tone a phone hears when a feature code took effect (issue 17 item 2: "a
 * short confirmation tone"). Built once, in memory: about 4 KB, far below what one ng
 * datagram carries.
 */
export function confirmationTone(): TonePrompt {
  if (cached) return cached;
  const on = (ON_MS * WAV_RATE) / 1000;
  const period = ((ON_MS + OFF_MS) * WAV_RATE) / 1000;
  const total = period * (BURSTS - 1) + on;
  const samples = new Int16Array(total);
  for (let b = 0; b < BURSTS; b++) {
    for (let i = 0; i < on; i++) {
      const t = i / WAV_RATE;
      samples[b * period + i] = Math.round(FREQS.reduce((s, f) => s + AMPLITUDE * Math.sin(2 * Math.PI * f * t), 0));
    }
  }
  cached = { wav: ulawWavBytes(encodeUlaw(samples)), durationMs: Math.ceil((total * 1000) / WAV_RATE) };
  return cached;
}

export const CONFIRMATION_FREQS: readonly number[] = FREQS;
