/**
 * The clock of one music stream: frame k is due at `epoch + k * periodMs`, so timer
 * lateness never accumulates (drift-free). Pure arithmetic on a caller-supplied `now`,
 * so it is tested without timers.
 *
 *   restart(now) ──> take(now) sends the due frames ──> delay(now) until the next one
 *                        ^                                       │
 *                        └────────────── timer fires ────────────┘
 */
export class FramePacer {
  /** next frame index to send */
  private next = 0;

  constructor(
    readonly periodMs: number,
    readonly epochMs: number,
    /** most frames sent in one go after a late tick; older due frames are skipped */
    readonly maxBurst = 3,
  ) {
    if (!(periodMs > 0)) throw new RangeError(`bad frame period ${periodMs}`);
    if (!(maxBurst >= 1)) throw new RangeError(`bad burst limit ${maxBurst}`);
  }

  /** The frame whose period contains `now` (the shared loop position). */
  frameAt(now: number): number {
    return Math.floor((now - this.epochMs) / this.periodMs);
  }

  /**
   * Resume after an idle spell at the frame current at `now`, never going back to a frame
   * already sent: the position kept moving with the clock while nobody listened.
   */
  restart(now: number): void {
    this.next = Math.max(this.next, this.frameAt(now));
  }

  /**
   * The frames due at `now`, oldest first, and how many older due frames were dropped to
   * keep a burst to `maxBurst` (after a stall the listener gets a short catch-up, then the
   * live position, rather than a flood that would overrun its jitter buffer).
   */
  take(now: number): { frames: number[]; skipped: number } {
    const current = this.frameAt(now);
    let skipped = 0;
    if (current - this.next + 1 > this.maxBurst) {
      skipped = current - this.maxBurst + 1 - this.next;
      this.next = current - this.maxBurst + 1;
    }
    const frames: number[] = [];
    for (; this.next <= current; this.next++) frames.push(this.next);
    return { frames, skipped };
  }

  /** Milliseconds from `now` until the next frame is due (0 if it already is). */
  delay(now: number): number {
    return Math.max(0, this.epochMs + this.next * this.periodMs - now);
  }
}
