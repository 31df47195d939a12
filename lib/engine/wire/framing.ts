/**
 * drachtio framing: `<N>#<payload>` where N is the UTF-8 byte count of the payload.
 * Nothing terminates a frame and several frames may share one TCP segment, so frames
 * are split by N only (see the wire transcripts' README).
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrame: number) {}

  /** Returns the complete frames; throws when the stream cannot be framed any more. */
  push(chunk: Buffer): string[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: string[] = [];
    for (;;) {
      const hash = this.buf.indexOf(0x23);
      if (hash === -1) {
        if (this.buf.length > 12) throw new Error('missing length prefix');
        break;
      }
      const lenText = this.buf.toString('latin1', 0, hash);
      if (!/^\d{1,10}$/.test(lenText)) throw new Error('invalid length prefix');
      const len = Number(lenText);
      if (len <= 0 || len > this.maxFrame) throw new Error(`frame length ${len} out of range`);
      if (this.buf.length < hash + 1 + len) break;
      out.push(this.buf.toString('utf8', hash + 1, hash + 1 + len));
      this.buf = this.buf.subarray(hash + 1 + len);
    }
    return out;
  }
}

export function encodeFrame(payload: string): string {
  return `${Buffer.byteLength(payload, 'utf8')}#${payload}`;
}
