import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sineTone } from '../../support/goertzel';
import { writeWav } from '../../support/wav';

/** Each softphone's microphone: a tone of its own, long enough for any one test. */
export const TONE = { a: 440, b: 1000, c: 1500 } as const;
const SECONDS = 40;

/** Writes one WAV per tone into a temp dir for the describe block; removed after it. */
export function toneFiles(): (name: keyof typeof TONE) => string {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'softphone-tones-'));
    for (const [name, freq] of Object.entries(TONE)) await writeWav(path.join(dir, `${name}.wav`), sineTone(freq, 8000 * SECONDS));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return (name) => path.join(dir, `${name}.wav`);
}
