/** Runs `cb` soon; returns a cancel. */
export type Scheduler = (cb: () => void) => () => void;

/**
 * Events applied in one batch per frame: `push` queues, and the queue is applied once
 * before the next paint, so 200 events a second cost a few redraws, not 200. A tab in the
 * background gets no frames: a timer flushes then, and a queue past `maxQueue` is applied
 * at once, so it never grows without bound.
 */
export class FrameBatch<T> {
  private queue: T[] = [];
  private cancel: (() => void) | undefined;

  constructor(
    private readonly apply: (items: T[]) => void,
    private readonly schedule: Scheduler,
    private readonly maxQueue = 5000,
  ) {}

  push(item: T): void {
    this.queue.push(item);
    if (this.queue.length >= this.maxQueue) this.flush();
    else if (!this.cancel) this.cancel = this.schedule(() => this.flush());
  }

  /** Applies what is queued now. */
  flush(): void {
    this.cancel?.();
    this.cancel = undefined;
    if (this.queue.length === 0) return;
    const items = this.queue;
    this.queue = [];
    this.apply(items);
  }

  /** Drops what is queued (the page is going away, or the lists are fetched afresh). */
  clear(): void {
    this.cancel?.();
    this.cancel = undefined;
    this.queue = [];
  }

  get pending(): number {
    return this.queue.length;
  }
}
