/** RFC 3550 5.1: the fixed 12-byte RTP header, no CSRCs, no extension, no padding. */
export const RTP_HEADER_BYTES = 12;

export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  /** 16-bit sequence number */
  sequence: number;
  /** 32-bit media timestamp */
  timestamp: number;
  ssrc: number;
}

/** One RTP packet: header then payload, in a fresh buffer (dgram may still hold the last one). */
export function rtpPacket(h: RtpHeader, payload: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(RTP_HEADER_BYTES + payload.length);
  b[0] = 0x80; // V=2, P=0, X=0, CC=0
  b[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  b.writeUInt16BE(h.sequence & 0xffff, 2);
  b.writeUInt32BE(h.timestamp >>> 0, 4);
  b.writeUInt32BE(h.ssrc >>> 0, 8);
  b.set(payload, RTP_HEADER_BYTES);
  return b;
}

/** The header of an RTP packet, or undefined if it is not RTP version 2 (tests, diagnostics). */
export function parseRtpHeader(b: Uint8Array): (RtpHeader & { payload: Uint8Array }) | undefined {
  if (b.length < RTP_HEADER_BYTES || b[0] >> 6 !== 2) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerLen = RTP_HEADER_BYTES + 4 * (b[0] & 0x0f);
  return {
    payloadType: b[1] & 0x7f,
    marker: (b[1] & 0x80) !== 0,
    sequence: v.getUint16(2),
    timestamp: v.getUint32(4),
    ssrc: v.getUint32(8),
    payload: b.subarray(headerLen),
  };
}
