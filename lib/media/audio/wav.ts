import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Plain RIFF/WAVE, PCM16 mono: the one format an operator may supply per music class.
 * Only 8 kHz is accepted on read, because the stream sends G.711 at 8 kHz and this module
 * does not resample (a clear error beats music played at the wrong speed).
 */

export const WAV_RATE = 8000;

/** A WAV file that is not what the music-on-hold server can play; `code` is stable for logs. */
export class WavFormatError extends Error {
  readonly code = 'E_MOH_WAV_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'WavFormatError';
  }
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** RFC 2361 / the Microsoft registry: G.711 mu-law in a WAV file */
const WAVE_FORMAT_MULAW = 7;

/** A mono RIFF/WAVE buffer with its 44-byte header filled in and room for `dataLen` bytes. */
function wavBuffer(format: number, rate: number, bytesPerSample: number, dataLen: number): Buffer {
  const b = Buffer.alloc(44 + dataLen);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + dataLen, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(format, 20);
  b.writeUInt16LE(1, 22); // channels
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * bytesPerSample, 28); // byte rate
  b.writeUInt16LE(bytesPerSample, 32); // block align
  b.writeUInt16LE(8 * bytesPerSample, 34); // bits per sample
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(dataLen, 40);
  return b;
}

/** The bytes of a RIFF PCM16 mono WAV file. */
export function wavBytes(samples: Int16Array, rate = WAV_RATE): Buffer {
  if (!Number.isInteger(rate) || rate <= 0) throw new RangeError(`bad sample rate ${rate}`);
  const b = wavBuffer(WAVE_FORMAT_PCM, rate, 2, samples.length * 2);
  for (let i = 0; i < samples.length; i++) b.writeInt16LE(samples[i], 44 + 2 * i);
  return b;
}

/**
 * The bytes of an 8 kHz mu-law WAV file (format 7, 8 bits per sample): half the size of
 * PCM16, which matters where a file travels in one ng datagram (rtpengine play media blob).
 */
export function ulawWavBytes(ulaw: Uint8Array): Buffer {
  const b = wavBuffer(WAVE_FORMAT_MULAW, WAV_RATE, 1, ulaw.length);
  b.set(ulaw, 44);
  return b;
}

/**
 * Samples of an 8 kHz PCM16 mono WAV file. Chunks other than `fmt ` and `data` (LIST,
 * fact, ...) are skipped; a `data` size larger than the file (streamed writers) is cut to
 * what is there. Anything else throws a WavFormatError naming the problem.
 */
export function parseWav(buf: Buffer, name = 'WAV data'): { samples: Int16Array; rate: number } {
  const fail = (why: string): never => {
    throw new WavFormatError(`${name}: ${why}; music on hold needs a PCM16 mono 8000 Hz WAV file`);
  };
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    fail('not a RIFF/WAVE file');
  }
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let data: Buffer | undefined;
  let off = 12;
  while (off + 8 <= buf.length && !data) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = buf.subarray(off + 8, Math.min(buf.length, off + 8 + size));
    if (id === 'fmt ') {
      if (body.length < 16) fail('fmt chunk too short');
      let format = body.readUInt16LE(0);
      // WAVE_FORMAT_EXTENSIBLE carries the real format in the first two bytes of its sub-format GUID.
      if (format === WAVE_FORMAT_EXTENSIBLE && body.length >= 26) format = body.readUInt16LE(24);
      fmt = { format, channels: body.readUInt16LE(2), rate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    } else if (id === 'data') {
      data = body;
    }
    off += 8 + size + (size & 1); // RIFF chunks are word aligned
  }
  if (!fmt) return fail('no fmt chunk');
  if (!data) return fail('no data chunk');
  if (fmt.format !== WAVE_FORMAT_PCM) fail(`audio format ${fmt.format} is not PCM (1)`);
  if (fmt.bits !== 16) fail(`${fmt.bits}-bit samples, not 16-bit`);
  if (fmt.channels !== 1) fail(`${fmt.channels} channels, not mono`);
  if (fmt.rate !== WAV_RATE) fail(`sample rate ${fmt.rate} Hz, not ${WAV_RATE} Hz`);
  const samples = new Int16Array(data.length >> 1);
  for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(2 * i);
  if (samples.length === 0) fail('no samples');
  return { samples, rate: fmt.rate };
}

/** Write samples as a PCM16 mono WAV file (synchronous: an operator tool, not a call path). */
export function writeWav(path: string, samples: Int16Array, rate = WAV_RATE): void {
  writeFileSync(path, wavBytes(samples, rate));
}

/** Read an 8 kHz PCM16 mono WAV file; throws WavFormatError for anything else. */
export function readWav(path: string): { samples: Int16Array; rate: number } {
  return parseWav(readFileSync(path), path);
}
