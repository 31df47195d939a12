/**
 * NOTIFY rate control for one subscription (RFC 6665 4.2.2: a notifier should not send
 * NOTIFYs faster than the package allows, and a subscriber that is slow to answer must
 * not make it queue them; RFC 6446 2: a minimum interval between notifications). At most
 * one NOTIFY is outstanding and at most one sent per `intervalMs`; changes in between
 * only mark the state dirty, and the NOTIFY that follows reads the state then, so
 * intermediate states are dropped and the last state is always sent. Nothing queues: a
 * subscription holds a flag and at most one timer, however often its resource changes.
 *
 * ```
 *   idle --poke--> sending --answered, not dirty--> idle
 *    ^                |  ^                                  (interval not over: waiting)
 *    |                |  +--interval over--- waiting <--answered, dirty--+
 *    +----------------+--gone (481, 408, transport error) --> closed
 * ```
 */
export interface NotifyPacerOptions {
  intervalMs: number;
  now?: () => number;
  timers?: { setTimeout(f: () => void, ms: number): unknown; clearTimeout(t: unknown): void };
  /** told once when `send` says the subscription is gone */
  onGone?: () => void;
}

/** Sends the current state; resolves false when the subscription is gone (RFC 6665 4.2.2). */
export type NotifySend = () => Promise<boolean>;

export class NotifyPacer {
  private inFlight = false;
  private dirty = false;
  private closed = false;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer: unknown;
  private idleWaiters: Array<() => void> = [];
  private readonly now: () => number;
  private readonly timers: NonNullable<NotifyPacerOptions['timers']>;

  constructor(private readonly send: NotifySend, private readonly opts: NotifyPacerOptions) {
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout) };
  }

  /** NOTIFYs sent but not yet answered (0 or 1). */
  get outstanding(): number {
    return this.inFlight ? 1 : 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Resolves once no NOTIFY is in flight, or after `maxMs` at the latest. A subscription
   * that ends while its subscriber has not answered the last NOTIFY waits for that one
   * before its final NOTIFY: if it timed out (Timer F), the dialog is gone with it and no
   * second NOTIFY is retransmitted into the void (RFC 6665 4.2.2).
   */
  whenIdle(maxMs: number): Promise<void> {
    if (!this.inFlight) return Promise.resolve();
    return new Promise((resolve) => {
      const t = this.timers.setTimeout(() => finish(), maxMs);
      const finish = (): void => {
        this.timers.clearTimeout(t);
        this.idleWaiters = this.idleWaiters.filter((f) => f !== finish);
        resolve();
      };
      this.idleWaiters.push(finish);
    });
  }

  /** The state changed: a NOTIFY will carry it, now or as soon as the rate allows. */
  poke(): void {
    if (this.closed) return;
    this.dirty = true;
    this.pump();
  }

  /** No more NOTIFYs (the subscription ended); an outstanding one is left to finish. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pump(): void {
    if (this.closed || this.inFlight || this.timer !== undefined || !this.dirty) return;
    const wait = this.lastSentAt + this.opts.intervalMs - this.now();
    if (wait > 0) {
      this.timer = this.timers.setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    this.dirty = false;
    this.inFlight = true;
    this.lastSentAt = this.now();
    this.send().then((keep) => keep, () => false).then((keep) => {
      this.inFlight = false;
      for (const f of [...this.idleWaiters]) f();
      if (!keep) {
        if (!this.closed) this.opts.onGone?.();
        this.close();
        return;
      }
      this.pump();
    }, () => undefined);
  }
}
