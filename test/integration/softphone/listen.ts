import type { Baresip } from '../../support/baresip';
import { detectTone, toneShare } from '../../support/goertzel';
import { readWav } from '../../support/wav';

/** half a second at 8 kHz: a whole number of cycles of every test tone (multiples of 2 Hz) */
const BLOCK = 4000;
const POLL_MS = 100;
const LISTEN_TIMEOUT_MS = 8000;

/**
 * The semitones of the embedded hold music (features/moh/music/default-music.ts: a
 * pentatonic melody from G4 to A5 over a pad from A3 to G4), as MIDI notes. A4 (440 Hz,
 * phone A's tone) is not one of them, so music and A never share a frequency.
 */
const MUSIC_NOTES = [57, 59, 60, 62, 64, 65, 67, 71, 72, 74, 76, 79, 81];
const hz = (midi: number): number => 440 * 2 ** ((midi - 69) / 12);
/**
 * share of a block's energy on the music's notes above which it is the music: every half
 * second of the G.711-coded music loop gives 0.37 or more, each phone's tone under 0.001
 */
const MUSIC_SHARE = 0.2;

/** What a phone must be hearing: tones present, tones absent, and whether the hold music plays. */
export interface Expect {
  /** each of these tones is in the last half second */
  present?: number[];
  /** none of these is */
  absent?: number[];
  /** the embedded hold music is (true) or is not (false) what it hears */
  music?: boolean;
}

/** The music's share of a block: the sum of the shares of its notes (each a Goertzel bin, no overlap at 2 Hz resolution). */
export function musicShare(block: Int16Array): number {
  return MUSIC_NOTES.reduce((s, n) => s + toneShare(block, hz(n)), 0);
}

function judge(block: Int16Array, e: Expect): string | undefined {
  const faults: string[] = [];
  for (const f of e.present ?? []) {
    const t = detectTone(block, f);
    if (t.verdict !== 'present') faults.push(`${f} Hz ${t.verdict} (share ${t.share.toFixed(3)}, rms ${t.rms.toFixed(0)})`);
  }
  for (const f of e.absent ?? []) {
    const t = detectTone(block, f);
    if (t.verdict !== 'absent') faults.push(`${f} Hz ${t.verdict} (share ${t.share.toFixed(3)})`);
  }
  if (e.music !== undefined) {
    const rms = Math.sqrt(block.reduce((sum, x) => sum + x * x, 0) / block.length);
    const share = musicShare(block);
    const isMusic = rms >= 30 && share >= MUSIC_SHARE;
    if (isMusic !== e.music) faults.push(`music ${isMusic ? 'heard' : 'not heard'} (its notes' share ${share.toFixed(3)}, rms ${rms.toFixed(0)})`);
  }
  return faults.length ? faults.join(', ') : undefined;
}

/**
 * Resolves once the last half second of what `phone` receives (its recording, still being
 * written) meets `e`; throws after `timeoutMs` with what it heard last. Only audio that
 * arrived after the call counts: baresip writes a frame when an RTP packet comes, so a
 * stream that stopped leaves its old tail in the file, which must not pass for the present.
 * Waits on the audio itself, so a slow machine only makes it later, never wrong.
 */
export async function listen(phone: Baresip, e: Expect, timeoutMs = LISTEN_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const start = await phone.recording();
  const startLength = start ? (await readWav(start)).samples.length : 0;
  let last = 'no recording yet';
  for (;;) {
    const file = await phone.recording();
    if (file) {
      const { samples, rate } = await readWav(file);
      if (rate !== 8000) throw new Error(`${phone.user}'s recording is at ${rate} Hz, not 8000`);
      // a new file, or the same name reopened (shorter) by a reset within the same second
      const fresh = file === start && samples.length >= startLength ? samples.length - startLength : samples.length;
      if (fresh >= BLOCK) {
        const fault = judge(samples.subarray(samples.length - BLOCK), e);
        if (!fault) return;
        last = fault;
      } else last = `${fresh} new samples recorded`;
    }
    if (Date.now() > deadline) throw new Error(`${phone.user} does not hear ${JSON.stringify(e)}: ${last}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
