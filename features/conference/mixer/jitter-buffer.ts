/** RFC 3551 4.5.14: G.711 at 8 kHz, 20 ms per packet: 160 one-byte samples. */
export const FRAME_SAMPLES = 160;
export const FRAME_BYTES = 160;
/** Slots in the ring; a packet further ahead of the playout point than this is a sequence jump. */
export const JITTER_CAPACITY = 16;

/**
 * Where one member's playout stands.
 *
 *            first packet              span >= playoutFrames (at a tick)
 *   IDLE ───────────────────> PRIMING ───────────────────────────────> PLAYING
 *    ^                          ^  │                                      │
 *    │  reset() (new SSRC)      │  └── sequence jump: start over ─┐       │
 *    └────────── from any ──────┤                                 │       │
 *                               └─ sequence jump, or talk resumes ┴───────┘
 *                                  after the buffer ran dry
 */
export enum PlayoutState {
  Idle = 'idle',
  Priming = 'priming',
  Playing = 'playing',
}

const TRANSITIONS: Record<PlayoutState, readonly PlayoutState[]> = {
  [PlayoutState.Idle]: [PlayoutState.Priming],
  [PlayoutState.Priming]: [PlayoutState.Playing, PlayoutState.Priming, PlayoutState.Idle],
  [PlayoutState.Playing]: [PlayoutState.Priming, PlayoutState.Idle],
};

export interface JitterBufferOptions {
  /** start playing once the buffered packets span this many frames (playout delay) */
  playoutFrames: number;
  /** when the buffer spans more frames than this, the oldest are dropped down to playoutFrames; default playoutFrames + 4 */
  maxFrames?: number;
}

export interface JitterCounters {
  received: number;
  played: number;
  /** ticks with no packet for the playout point (lost, late, or not sent) */
  missing: number;
  /** arrived after their playout point had passed */
  late: number;
  duplicate: number;
  /** dropped unplayed because the buffer grew past maxFrames (sender clock faster, bursts) */
  trimmed: number;
}

/**
 * One member's receive buffer: reorders packets by RTP sequence number (RFC 3550 5.1, 16
 * bits, extended across wrap-around as in its appendix A.1) and hands the mixer one frame
 * per 20 ms tick after a playout delay. A missing packet yields nothing for that tick, so
 * the mix never waits. Payloads live in one preallocated ring: push copies the bytes in
 * (one memcpy), pop returns their offset in `payloads`, so a frame is never allocated.
 */
export class JitterBuffer {
  readonly payloads = new Uint8Array(JITTER_CAPACITY * FRAME_BYTES);
  /** payload type and length of the frame the last successful pop() returned */
  payloadType = 0;
  length = 0;
  readonly counters: JitterCounters = { received: 0, played: 0, missing: 0, late: 0, duplicate: 0, trimmed: 0 };
  private readonly lengths = new Uint8Array(JITTER_CAPACITY);
  private readonly pts = new Uint8Array(JITTER_CAPACITY);
  /** extended sequence number held by each slot, -1 when empty */
  private readonly seqs = new Float64Array(JITTER_CAPACITY).fill(-1);
  private readonly playoutFrames: number;
  private readonly maxFrames: number;
  private st = PlayoutState.Idle;
  /** extended sequence number to play at the next tick */
  private next = 0;
  /** highest extended sequence number received; -1 before the first packet */
  private highest = -1;

  constructor(opts: JitterBufferOptions) {
    if (!Number.isInteger(opts.playoutFrames) || opts.playoutFrames < 1) throw new RangeError(`bad playout delay ${opts.playoutFrames}`);
    this.playoutFrames = opts.playoutFrames;
    this.maxFrames = opts.maxFrames ?? opts.playoutFrames + 4;
    if (!(this.maxFrames >= this.playoutFrames && this.maxFrames < JITTER_CAPACITY)) throw new RangeError(`bad buffer limit ${this.maxFrames}`);
  }

  get state(): PlayoutState {
    return this.st;
  }

  /** Frames between the playout point and the newest packet (what is buffered, holes included). */
  get span(): number {
    return this.st === PlayoutState.Idle ? 0 : Math.max(0, this.highest - this.next + 1);
  }

  /** Forget everything, including the sequence history (the sender changed SSRC). */
  reset(): void {
    this.seqs.fill(-1);
    this.highest = -1;
    this.to(PlayoutState.Idle);
  }

  /** Store one packet's payload (at most FRAME_BYTES of it). */
  push(sequence: number, payloadType: number, src: Uint8Array, offset: number, length: number): void {
    this.counters.received++;
    const ext = this.extend(sequence & 0xffff);
    if (this.st === PlayoutState.Idle) {
      this.restart(ext);
    } else if (ext < this.next) {
      if (this.st === PlayoutState.Priming && this.highest - ext < this.maxFrames) {
        this.next = ext; // reordered ahead of the first packet, before playout began
      } else if (this.st === PlayoutState.Playing && ext > this.highest) {
        // The buffer ran dry and the playout point moved on past the sender: talk resumes
        // (after silence suppression or a stall), so buffer it again rather than drop it all.
        this.restart(ext);
      } else {
        this.counters.late++;
        return;
      }
    } else if (ext - this.next >= JITTER_CAPACITY) {
      this.restart(ext); // sequence jump (sender restarted, or we stalled): start over from here
    }
    const slot = ext % JITTER_CAPACITY;
    if (this.seqs[slot] === ext) {
      this.counters.duplicate++;
      return;
    }
    this.seqs[slot] = ext;
    this.pts[slot] = payloadType;
    const n = length < FRAME_BYTES ? length : FRAME_BYTES;
    this.lengths[slot] = n;
    this.payloads.set(src.subarray(offset, offset + n), slot * FRAME_BYTES); // a memcpy: cheaper than a JS loop
    if (ext > this.highest) this.highest = ext;
  }

  /**
   * The frame due at this tick: its offset in `payloads` (with `payloadType` and `length`
   * set), or -1 if there is none (not yet primed, lost, or late). Advances the playout point.
   */
  pop(): number {
    if (this.st === PlayoutState.Idle) return -1;
    if (this.st === PlayoutState.Priming) {
      if (this.highest - this.next + 1 < this.playoutFrames) return -1;
      this.to(PlayoutState.Playing);
    }
    if (this.highest - this.next + 1 > this.maxFrames) this.trim();
    const slot = this.next % JITTER_CAPACITY;
    if (this.seqs[slot] !== this.next) {
      this.next++;
      this.counters.missing++;
      return -1;
    }
    this.seqs[slot] = -1;
    this.next++;
    this.counters.played++;
    this.payloadType = this.pts[slot];
    this.length = this.lengths[slot];
    return slot * FRAME_BYTES;
  }

  /** RFC 3550 A.1: the 16-bit sequence number nearest the highest seen, as a growing integer. */
  private extend(seq: number): number {
    if (this.highest < 0) return seq + 0x10000; // one cycle of headroom, so reordered packets stay positive
    const delta = ((seq - (this.highest & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    return this.highest + delta;
  }

  private restart(ext: number): void {
    this.seqs.fill(-1);
    this.next = ext;
    this.highest = ext;
    this.to(PlayoutState.Priming);
  }

  /** Drop the oldest frames so the buffer spans playoutFrames again. */
  private trim(): void {
    const keepFrom = this.highest - this.playoutFrames + 1;
    for (; this.next < keepFrom; this.next++) {
      const slot = this.next % JITTER_CAPACITY;
      if (this.seqs[slot] === this.next) {
        this.seqs[slot] = -1;
        this.counters.trimmed++;
      }
    }
  }

  private to(next: PlayoutState): void {
    if (next !== this.st && !TRANSITIONS[this.st].includes(next)) throw new Error(`jitter buffer: illegal transition ${this.st} -> ${next}`);
    this.st = next;
  }
}
