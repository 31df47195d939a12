import { existsSync } from 'node:fs';
import path from 'node:path';
import { encodeUlaw, readWav, ulawWavBytes, WAV_RATE } from '../../lib/media/audio';

/**
 * "Your call is parked at seven zero one": the slot announcement played to the parker
 * before its leg is released (issue: announce the slot). Built from the per-digit prompts
 * in ./prompts (8 kHz PCM16 WAV, made with espeak-ng, see prompts/README.md) into one
 * mu-law WAV that rtpengine plays from the ng request itself (`blob`), so rtpengine needs
 * no access to this machine's disk.
 */
export interface Announcement {
  /** the WAV bytes (mu-law, 8 kHz) */
  wav: Buffer;
  /** how long it plays */
  durationMs: number;
}

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
/** pauses that make a run of digits intelligible: after the lead-in, between digits */
const LEAD_GAP_MS = 200;
const DIGIT_GAP_MS = 120;
/** rtpengine's ng socket reads one datagram; the blob must fit with room for the rest */
const MAX_BLOB_BYTES = 60_000;

/** The prompts folder, next to this file in the sources and found from the compiled copy. */
function promptsDir(): string {
  const candidates = [path.join(__dirname, 'prompts'), path.resolve(__dirname, '../../../features/park/prompts')];
  const found = candidates.find((d) => existsSync(path.join(d, 'parked-at.wav')));
  if (!found) throw new Error(`park prompts not found (looked in ${candidates.join(', ')})`);
  return found;
}

export class SlotAnnouncer {
  private readonly prompts = new Map<string, Int16Array>();
  private readonly cache = new Map<string, Announcement>();

  constructor(dir = promptsDir()) {
    for (const name of [...DIGITS, 'parked-at']) this.prompts.set(name, readWav(path.join(dir, `${name}.wav`)).samples);
  }

  /** The announcement of `slot` (digits only); cached, since a lot has a few dozen slots. */
  announce(slot: string): Announcement {
    const hit = this.cache.get(slot);
    if (hit) return hit;
    if (!/^\d{1,8}$/.test(slot)) throw new RangeError(`a slot is digits: ${slot}`);
    const parts: Int16Array[] = [this.prompt('parked-at'), silence(LEAD_GAP_MS)];
    for (const d of slot) parts.push(this.prompt(DIGITS[Number(d)]), silence(DIGIT_GAP_MS));
    const samples = concat(parts);
    const wav = ulawWavBytes(encodeUlaw(samples));
    if (wav.length > MAX_BLOB_BYTES) throw new RangeError(`announcement of ${slot} is ${wav.length} bytes, too long for one ng request`);
    const a = { wav, durationMs: Math.ceil((samples.length * 1000) / WAV_RATE) };
    this.cache.set(slot, a);
    return a;
  }

  private prompt(name: string): Int16Array {
    const p = this.prompts.get(name);
    if (!p) throw new Error(`no prompt ${name}`);
    return p;
  }
}

function silence(ms: number): Int16Array {
  return new Int16Array((WAV_RATE * ms) / 1000);
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
