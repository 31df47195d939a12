/**
 * One leg's session timer (RFC 4028 10). Either we refresh (a re-INVITE or UPDATE at
 * half the interval; a refresh that times out or gets 408 or 481 means the peer is
 * gone) or the peer does (its refresh must come within the interval less
 * min(32 s, a third of it), else the session is over). Either way `expired` is called
 * once, and the call hangs up both legs with BYE.
 */

export interface SessionTimerOptions {
  expiresS: number;
  /** true: we refresh; false: the peer does and we watch */
  weRefresh: boolean;
  /** sends one refresh; resolves with its final status, rejects when it timed out or could not be sent */
  refresh(): Promise<number>;
  expired(why: 'refresh-failed' | 'no-refresh'): void;
}

export class SessionTimer {
  private timer: NodeJS.Timeout | undefined;
  private lastOk = Date.now();
  private done = false;

  constructor(private readonly o: SessionTimerOptions) {}

  start(): void {
    this.lastOk = Date.now();
    this.arm();
  }

  /** A refresh arrived from the peer, or any re-INVITE/UPDATE on the leg succeeded. */
  touch(): void {
    if (this.done) return;
    this.lastOk = Date.now();
    this.arm();
  }

  stop(): void {
    this.done = true;
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    const ms = this.o.expiresS * 1000;
    if (this.o.weRefresh) {
      this.timer = setTimeout(() => void this.refreshNow(), ms / 2);
    } else {
      // RFC 4028 10: the BYE goes out min(32, interval/3) seconds before expiry
      this.timer = setTimeout(() => this.expire('no-refresh'), ms - Math.min(32000, ms / 3));
    }
    this.timer.unref();
  }

  private async refreshNow(): Promise<void> {
    if (this.done) return;
    let status: number;
    try {
      status = await this.o.refresh();
    } catch {
      status = 408;
    }
    if (this.done) return;
    if (status >= 200 && status < 300) {
      this.touch();
      return;
    }
    // RFC 4028 10: a refresh that times out or gets 408 or 481 ends the session
    if (status === 408 || status === 481) {
      this.expire('refresh-failed');
      return;
    }
    // another failure (491, 500) leaves the session as it is: try again while it lasts
    const ms = this.o.expiresS * 1000;
    const left = this.lastOk + ms - Date.now();
    if (left <= Math.min(1000, ms / 8)) {
      this.expire('refresh-failed');
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refreshNow(), left / 2);
    this.timer.unref();
  }

  private expire(why: 'refresh-failed' | 'no-refresh'): void {
    if (this.done) return;
    this.stop();
    this.o.expired(why);
  }
}
