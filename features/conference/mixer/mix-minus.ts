import { PCMU, type G711PayloadType } from '../../../lib/media/audio/g711';
import { FRAME_SAMPLES } from './jitter-buffer';
import {
  ALAW_DECODE, ALAW_ENCODE, ALAW_SILENCE, ALAW_TO_ULAW, ENCODE_OFFSET, ULAW_DECODE, ULAW_ENCODE, ULAW_SILENCE, ULAW_TO_ALAW,
} from './g711-tables';

/**
 * One member's side of one 20 ms frame: what it contributed (if anything) and where its
 * encoded mix goes. The mixer's members are these slots; tests build plain objects.
 */
export interface MixSlot {
  /** payload type of this frame's contribution (0 or 8), or -1 if the member contributes nothing */
  inPt: number;
  /** the contribution: inLen G.711 bytes at inOff (shorter than a frame: the rest is silence) */
  inBytes: Uint8Array;
  inOff: number;
  inLen: number;
  /** scratch for the decoded contribution, FRAME_SAMPLES long */
  readonly pcm: Int16Array;
  /** the codec this member hears */
  outPt: G711PayloadType;
  /** where its FRAME_SAMPLES encoded bytes are written */
  out: Uint8Array;
  outOff: number;
}

/**
 * Mix-minus for one frame of one bridge: every member hears the sum of the others, never
 * itself. The sum is kept in 32 bits and each member's mix is clamped to 16 bits before
 * encoding (clipping protection: saturate rather than wrap around).
 *
 * Silence is cheap: nobody talking costs a fill; one talker is forwarded to the others
 * byte for byte (or through a 256-entry transcode table) without decoding; only with two
 * or more talkers is anything decoded and summed. Everything works in caller-owned
 * buffers; the one allocation is the subarray view handed to a lone talker's memcpy.
 */
export function mixMinus(slots: readonly MixSlot[], sum: Int32Array): void {
  let talkers = 0;
  let talker: MixSlot | undefined;
  for (let m = 0; m < slots.length; m++) {
    if (slots[m].inPt >= 0) {
      talkers++;
      talker = slots[m];
    }
  }
  if (talkers === 0 || talker === undefined) {
    for (let m = 0; m < slots.length; m++) fillSilence(slots[m]);
    return;
  }
  if (talkers === 1) {
    for (let m = 0; m < slots.length; m++) {
      const s = slots[m];
      if (s === talker) fillSilence(s);
      else forward(talker, s);
    }
    return;
  }
  let first = true;
  for (let m = 0; m < slots.length; m++) {
    const s = slots[m];
    if (s.inPt < 0) continue;
    decode(s);
    const pcm = s.pcm;
    if (first) for (let i = 0; i < FRAME_SAMPLES; i++) sum[i] = pcm[i];
    else for (let i = 0; i < FRAME_SAMPLES; i++) sum[i] += pcm[i];
    first = false;
  }
  for (let m = 0; m < slots.length; m++) {
    const s = slots[m];
    encodeMinus(sum, s.inPt >= 0 ? s.pcm : undefined, s.outPt === PCMU ? ULAW_ENCODE : ALAW_ENCODE, s.out, s.outOff);
  }
}

/** Encode `sum - own` (or `sum`), saturated to 16 bits, into out[off .. off+FRAME_SAMPLES). */
export function encodeMinus(sum: Int32Array, own: Int16Array | undefined, table: Uint8Array, out: Uint8Array, off: number): void {
  if (own) {
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      let v = sum[i] - own[i];
      v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      out[off + i] = table[(v >> 2) + ENCODE_OFFSET];
    }
  } else {
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      let v = sum[i];
      v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      out[off + i] = table[(v >> 2) + ENCODE_OFFSET];
    }
  }
}

/** Decode a slot's contribution into its pcm (padding a short payload with silence). */
export function decode(s: MixSlot): void {
  const table = s.inPt === PCMU ? ULAW_DECODE : ALAW_DECODE;
  const src = s.inBytes;
  const off = s.inOff;
  const pcm = s.pcm;
  const n = s.inLen < FRAME_SAMPLES ? s.inLen : FRAME_SAMPLES;
  for (let i = 0; i < n; i++) pcm[i] = table[src[off + i]];
  for (let i = n; i < FRAME_SAMPLES; i++) pcm[i] = 0;
}

/** The one talker's frame to a listener: copied if the codecs match, else transcoded byte by byte. */
function forward(from: MixSlot, to: MixSlot): void {
  const src = from.inBytes;
  const inOff = from.inOff;
  const out = to.out;
  const outOff = to.outOff;
  const n = from.inLen < FRAME_SAMPLES ? from.inLen : FRAME_SAMPLES;
  if (from.inPt === to.outPt) {
    out.set(src.subarray(inOff, inOff + n), outOff);
  } else {
    const table = from.inPt === PCMU ? ULAW_TO_ALAW : ALAW_TO_ULAW;
    for (let i = 0; i < n; i++) out[outOff + i] = table[src[inOff + i]];
  }
  if (n < FRAME_SAMPLES) out.fill(to.outPt === PCMU ? ULAW_SILENCE : ALAW_SILENCE, to.outOff + n, to.outOff + FRAME_SAMPLES);
}

function fillSilence(s: MixSlot): void {
  s.out.fill(s.outPt === PCMU ? ULAW_SILENCE : ALAW_SILENCE, s.outOff, s.outOff + FRAME_SAMPLES);
}
