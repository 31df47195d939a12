/**
 * ITU-T G.711 companding: 16-bit linear PCM to and from mu-law (PCMU, RTP payload type 0)
 * and A-law (PCMA, payload type 8), RFC 3551 4.5.14.
 *
 * The segment/bias algorithm of the classic Sun Microsystems g711.c, which is what the
 * rest of the telephony world (and rtpengine's transcoder) agrees with bit for bit. The
 * 16-bit input is first reduced to G.711's native resolution (13 bits for A-law, 14 for
 * mu-law) by an arithmetic shift, as in g711.c.
 */

/** Upper bound of each A-law segment, on the 13-bit magnitude. */
const A_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
/** Upper bound of each mu-law segment, on the biased 14-bit magnitude. */
const U_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];

const QUANT_MASK = 0x0f;
const SEG_SHIFT = 4;
const SEG_MASK = 0x70;
const SIGN_BIT = 0x80;
/** mu-law bias (0x84 on the 16-bit scale) and clip level (on the 14-bit scale). */
const U_BIAS = 0x84;
const U_CLIP = 8159;

function segment(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) if (value <= ends[i]) return i;
  return ends.length;
}

/** One 16-bit linear sample (clamped to -32768..32767) to a mu-law byte. 0 -> 0xFF. */
export function linearToUlaw(sample: number): number {
  let pcm = clamp16(sample) >> 2;
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcm > U_CLIP) pcm = U_CLIP;
  pcm += U_BIAS >> 2;
  const seg = segment(pcm, U_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << SEG_SHIFT) | ((pcm >> (seg + 1)) & QUANT_MASK)) ^ mask;
}

/** One mu-law byte to a 16-bit linear sample. */
export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  let t = ((u & QUANT_MASK) << 3) + U_BIAS;
  t <<= (u & SEG_MASK) >> SEG_SHIFT;
  return u & SIGN_BIT ? U_BIAS - t : t - U_BIAS;
}

/** One 16-bit linear sample (clamped to -32768..32767) to an A-law byte. 0 -> 0xD5. */
export function linearToAlaw(sample: number): number {
  let pcm = clamp16(sample) >> 3;
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5; // sign bit set, even bits inverted (G.711 A-law transmission)
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segment(pcm, A_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  const quant = seg < 2 ? (pcm >> 1) & QUANT_MASK : (pcm >> seg) & QUANT_MASK;
  return ((seg << SEG_SHIFT) | quant) ^ mask;
}

/** One A-law byte to a 16-bit linear sample. */
export function alawToLinear(byte: number): number {
  const a = (byte & 0xff) ^ 0x55;
  let t = (a & QUANT_MASK) << 4;
  const seg = (a & SEG_MASK) >> SEG_SHIFT;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & SIGN_BIT ? t : -t;
}

export function encodeUlaw(samples: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = linearToUlaw(samples[i]);
  return out;
}

export function encodeAlaw(samples: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = linearToAlaw(samples[i]);
  return out;
}

export function decodeUlaw(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ulawToLinear(bytes[i]);
  return out;
}

export function decodeAlaw(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = alawToLinear(bytes[i]);
  return out;
}

/** The static RTP payload types this module speaks (RFC 3551 table 4). */
export type G711PayloadType = 0 | 8;

export const PCMU = 0;
export const PCMA = 8;

/** Encode for an RTP payload type: 0 = PCMU, 8 = PCMA. */
export function encodeG711(samples: Int16Array, payloadType: G711PayloadType): Buffer {
  return payloadType === PCMU ? encodeUlaw(samples) : encodeAlaw(samples);
}

export function decodeG711(bytes: Uint8Array, payloadType: G711PayloadType): Int16Array {
  return payloadType === PCMU ? decodeUlaw(bytes) : decodeAlaw(bytes);
}

function clamp16(x: number): number {
  const n = Math.trunc(x);
  return n > 32767 ? 32767 : n < -32768 ? -32768 : n;
}
