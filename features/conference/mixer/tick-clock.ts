import { performance } from 'node:perf_hooks';
import type { FramePacer } from '../../../lib/media/audio/frame-pacer';

/** What the clock needs from the platform; tests pass a fake, the engine the defaults. */
export interface ClockPlatform {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const NODE_PLATFORM: ClockPlatform = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Gets the due ticks, oldest first, with how many older ones were skipped, and when they ran. */
export type TickHandler = (ticks: readonly number[], skipped: number, now: number) => void;

/**
 * The mixer's one clock: a FramePacer (drift-free due times) driven two ways.
 *
 * - A timer, for when the thread has nothing else to do.
 * - poll(), called by the receive path before each datagram is handled. libuv runs due
 *   timers only at the start of a loop iteration, after every callback of the previous
 *   poll phase; under load that phase is hundreds of datagram callbacks (up to 32 per
 *   socket per wakeup), so a timer alone waits behind all of them. With poll() a due tick
 *   runs within one callback of its due time: mixing comes before draining the sockets.
 *
 * Either way the ticks run once: the first of the two to see them due takes them.
 */
export class TickClock {
  private handle: unknown;
  private running = false;
  /** when the next tick is due (platform ms); Infinity while stopped or inside a tick */
  private dueAt = Infinity;

  constructor(
    private readonly pacer: FramePacer,
    private readonly onTicks: TickHandler,
    private readonly platform: ClockPlatform = NODE_PLATFORM,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Start (or resume after an idle spell) at the tick current now; no-op if running. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.pacer.restart(this.platform.now());
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.dueAt = Infinity;
    if (this.handle !== undefined) this.platform.clearTimer(this.handle);
    this.handle = undefined;
  }

  /** Run the due ticks now if there are any (true if it did); for the receive path. */
  poll(): boolean {
    if (this.platform.now() < this.dueAt) return false;
    this.platform.clearTimer(this.handle);
    this.handle = undefined;
    this.fire();
    return true;
  }

  private readonly onTimer = (): void => {
    this.handle = undefined;
    this.fire();
  };

  private fire(): void {
    this.dueAt = Infinity; // no re-entry from a poll() inside the handler
    const now = this.platform.now();
    const { frames, skipped } = this.pacer.take(now);
    // A timer may fire early: libuv keeps time in whole milliseconds. Then nothing is due yet.
    if (frames.length > 0 || skipped > 0) this.onTicks(frames, skipped, now);
    if (this.running) this.arm();
  }

  private arm(): void {
    const now = this.platform.now();
    const delay = this.pacer.delay(now);
    this.dueAt = now + delay;
    this.handle = this.platform.setTimer(this.onTimer, Math.ceil(delay));
  }
}
