import { readFile, writeFile } from 'node:fs/promises';

/**
 * 16-bit PCM WAV files, mono: the tones a softphone sends as its microphone and the
 * recordings it makes. Only what baresip's aufile and sndfile modules read and write.
 */

const HEADER_BYTES = 44;
/** a recording larger than this is not one of a test's calls */
const MAX_BYTES = 64 * 1024 * 1024;

/** A canonical 44-byte-header WAV of these samples (S16LE, mono). */
export async function writeWav(path: string, samples: Int16Array, rate = 8000): Promise<void> {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  await writeFile(path, Buffer.concat([h, data]));
}

export interface Pcm {
  rate: number;
  channels: number;
  samples: Int16Array;
}

/**
 * The samples of a 16-bit PCM WAV, also while its writer still appends to it: a data
 * chunk whose size is not yet written (0, or past the end) runs to the end of the file.
 */
export async function readWav(path: string): Promise<Pcm> {
  const buf = await readFile(path);
  if (buf.length > MAX_BYTES) throw new Error(`${path}: ${buf.length} bytes, more than a test recording`);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path}: not a RIFF/WAVE file`);
  }
  let rate = 0;
  let channels = 0;
  let bits = 0;
  // walk the chunks: each is a 4-byte id, a 4-byte size and the (even-padded) body
  for (let at = 12; at + 8 <= buf.length;) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ' && body + 16 <= buf.length) {
      if (buf.readUInt16LE(body) !== 1) throw new Error(`${path}: not PCM`);
      channels = buf.readUInt16LE(body + 2);
      rate = buf.readUInt32LE(body + 4);
      bits = buf.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (bits !== 16 || channels < 1) throw new Error(`${path}: want 16-bit PCM, have ${bits}-bit ${channels} ch`);
      const end = size === 0 || body + size > buf.length ? buf.length : body + size;
      const count = Math.floor((end - body) / 2);
      const samples = new Int16Array(count);
      for (let i = 0; i < count; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { rate, channels, samples };
    }
    at = body + size + (size % 2);
  }
  // no data chunk yet: a recording just opened
  return { rate, channels, samples: new Int16Array(0) };
}
