/**
 * The bytes of a stream connection not yet framed into a message. It keeps the chunks
 * as they came and says, for each new chunk, whether a parse could now succeed: when the
 * head's end (an empty line, RFC 3261 7) appears in the new bytes, when the length the
 * head announced is reached, or when the data starts with a keep-alive CRLF (RFC 5626
 * 4.4.1). A peer that trickles a message an octet at a time thus costs one pass over
 * the message, not one pass per octet (which would be quadratic).
 */
export class StreamBuffer {
  private chunks: Buffer[] = [];
  private total = 0;
  /** the length at which the message in front is complete, once its head was parsed */
  private needed?: number;
  /** the last octets already searched, so an empty line split across chunks is found */
  private tail: Buffer = Buffer.alloc(0);

  /** @param limit past this many octets a parse is forced, so an endless head is seen and refused */
  constructor(private readonly limit: number) {}

  get length(): number {
    return this.total;
  }

  /** Add a chunk; true when parsing the contents may now make progress. */
  push(chunk: Buffer): boolean {
    const wasEmpty = this.total === 0;
    this.chunks.push(chunk);
    this.total += chunk.length;
    if (this.total > this.limit || (wasEmpty && (chunk[0] === 0x0d || chunk[0] === 0x0a))) return true;
    if (this.needed !== undefined) return this.total >= this.needed;
    const window = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = Buffer.from(window.subarray(Math.max(0, window.length - 3)));
    return wasEmpty || window.includes('\n\n', 0, 'latin1') || window.includes('\r\n\r\n', 0, 'latin1');
  }

  /** Every buffered octet, as one buffer (joined once, then kept joined). */
  contents(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.total)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Drop the first `n` octets (a message or keep-alives were framed). */
  consume(n: number): void {
    const rest = this.contents().subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.total = rest.length;
    this.needed = undefined;
    this.tail = Buffer.alloc(0);
  }

  /**
   * The parse found the message incomplete: remember how long it must get (when the head
   * was read) or that the contents so far hold no end of head.
   */
  waitFor(needed: number | undefined): void {
    this.needed = needed;
    const all = this.contents();
    this.tail = Buffer.from(all.subarray(Math.max(0, all.length - 3)));
  }
}
