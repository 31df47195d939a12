import { alawToLinear, linearToAlaw, linearToUlaw, ulawToLinear, PCMU, type G711PayloadType } from '../../../lib/media/audio/g711';

/**
 * G.711 (RFC 3551 4.5.14) as lookup tables, built once from lib/media/audio/g711 so they
 * agree with it bit for bit: the mixer decodes and encodes 160 samples per member per
 * 20 ms, and a table read is far cheaper than the segment search.
 *
 * Encoding needs only 14 bits of a sample: mu-law drops the low 2 bits (x >> 2) and A-law
 * the low 3 (x >> 3 == (x >> 2) >> 1), so one 16384-entry table per law, indexed by
 * `(x >> 2) + 8192` for x in -32768..32767, is exact (16 KB each, cache friendly).
 */
export const ENCODE_OFFSET = 8192;
export const ENCODE_ENTRIES = 16384;

/** Payload bytes of digital silence (linear 0) in each law. */
export const ULAW_SILENCE = linearToUlaw(0);
export const ALAW_SILENCE = linearToAlaw(0);

function decodeTable(decode: (byte: number) => number): Int16Array {
  const t = new Int16Array(256);
  for (let b = 0; b < 256; b++) t[b] = decode(b);
  return t;
}

function encodeTable(encode: (sample: number) => number): Uint8Array {
  const t = new Uint8Array(ENCODE_ENTRIES);
  for (let i = 0; i < ENCODE_ENTRIES; i++) t[i] = encode((i - ENCODE_OFFSET) << 2);
  return t;
}

function transcodeTable(decode: Int16Array, encode: Uint8Array): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = encode[(decode[b] >> 2) + ENCODE_OFFSET];
  return t;
}

export const ULAW_DECODE = decodeTable(ulawToLinear);
export const ALAW_DECODE = decodeTable(alawToLinear);
export const ULAW_ENCODE = encodeTable(linearToUlaw);
export const ALAW_ENCODE = encodeTable(linearToAlaw);
/** One byte of one law to the other, through linear (what a decode then encode gives). */
export const ULAW_TO_ALAW = transcodeTable(ULAW_DECODE, ALAW_ENCODE);
export const ALAW_TO_ULAW = transcodeTable(ALAW_DECODE, ULAW_ENCODE);

export function decodeTableFor(pt: G711PayloadType): Int16Array {
  return pt === PCMU ? ULAW_DECODE : ALAW_DECODE;
}

export function encodeTableFor(pt: G711PayloadType): Uint8Array {
  return pt === PCMU ? ULAW_ENCODE : ALAW_ENCODE;
}

export function silenceFor(pt: G711PayloadType): number {
  return pt === PCMU ? ULAW_SILENCE : ALAW_SILENCE;
}
