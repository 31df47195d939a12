/** RFC 3261 17.1.1.1 and table 4: T1 (RTT estimate), T2 (max retransmit interval), T4 (max network lifetime). */
export interface TimerConfig {
  t1: number;
  t2: number;
  t4: number;
  /**
   * Timer H for a 401/407 to an INVITE over UDP (see ServerInviteTransaction): how long
   * the challenge is retransmitted while no ACK comes, instead of 64*T1
   */
  challengeH: number;
}

export const DEFAULT_TIMERS: TimerConfig = { t1: 500, t2: 4000, t4: 5000, challengeH: 4000 };

/** A set of named timers that all die together when the transaction ends. */
export class TimerSet {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  start(name: string, ms: number, fn: () => void): void {
    this.stop(name);
    const t = setTimeout(() => {
      this.timers.delete(name);
      fn();
    }, ms);
    this.timers.set(name, t);
  }

  stop(name: string): void {
    const t = this.timers.get(name);
    if (t) {
      clearTimeout(t);
      this.timers.delete(name);
    }
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
