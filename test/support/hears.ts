import type { Baresip } from './baresip';
import { detectTone } from './goertzel';
import { readWav } from './wav';

/** half a second at 8 kHz: a whole number of cycles of every tone the tests use (multiples of 2 Hz) */
const BLOCK = 4000;
const POLL_MS = 100;

export interface Heard {
  /** the tone's share of the last block's energy (0..1) */
  share: number;
  rms: number;
}

/**
 * Resolves once the last half second of what `phone` received (its recording, still being
 * written) holds `freq` and none of `others`: the phone hears that party and no one else.
 * Silence, another party's tone, or a mix fail after `timeoutMs`, with what was heard.
 */
export async function hears(phone: Baresip, freq: number, others: number[], timeoutMs = 8000): Promise<Heard> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no recording yet';
  for (;;) {
    const file = await phone.recording();
    if (file) {
      const { samples, rate } = await readWav(file);
      if (rate !== 8000) throw new Error(`${phone.user}'s recording is at ${rate} Hz, not 8000`);
      if (samples.length >= BLOCK) {
        const block = samples.subarray(samples.length - BLOCK);
        const want = detectTone(block, freq);
        const unwanted = others.map((f) => ({ f, ...detectTone(block, f) }));
        if (want.verdict === 'present' && unwanted.every((u) => u.verdict === 'absent')) return { share: want.share, rms: want.rms };
        last = `rms ${want.rms.toFixed(0)}, ${freq} Hz share ${want.share.toFixed(3)}, `
          + unwanted.map((u) => `${u.f} Hz share ${u.share.toFixed(3)}`).join(', ');
      } else last = `${samples.length} samples recorded`;
    }
    if (Date.now() > deadline) throw new Error(`${phone.user} does not hear ${freq} Hz alone: ${last}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
