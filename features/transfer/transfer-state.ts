/*
 * One transfer's life (blind or attended):
 *
 *   calling --target answered--> moving --transferee re-INVITEd--> done
 *      |                           |
 *      +---------------------------+--failure, a party gone--> failed
 *
 * A blind transfer starts in `calling` (the target rings); an attended one starts in
 * `moving` (the target is in a dialog already).
 */
export type TransferState = 'calling' | 'moving' | 'done' | 'failed';
const LEGAL: Record<TransferState, TransferState[]> = {
  calling: ['moving', 'failed'],
  moving: ['done', 'failed'],
  done: [],
  failed: [],
};

export type TransferKind = 'blind' | 'attended';

/** A transfer under way on a call of this instance, as GET /v1/calls/{id}/transfer shows it. */
export class TransferRun {
  private current: TransferState;
  readonly startedAt = Date.now();
  private aborters: Array<() => void> = [];

  constructor(readonly kind: TransferKind, readonly target: string, start: TransferState) {
    this.current = start;
  }

  get state(): TransferState {
    return this.current;
  }

  /** Moves to `next`; throws on a step the machine above does not have (a bug, not a SIP event). */
  to(next: TransferState): void {
    if (!LEGAL[this.current].includes(next)) throw new Error(`transfer: ${this.current} -> ${next} is not a legal step`);
    this.current = next;
  }

  private aborted = false;

  /**
   * What stops the transfer when a party of the call hangs up (the ringing fork's cancel).
   * Registered after the hang-up (it came while the target was being looked up): it runs
   * at once, so the target is never left ringing for a call that has ended.
   */
  onAbort(fn: () => void): void {
    if (this.aborted) fn();
    else this.aborters.push(fn);
  }

  abort(): void {
    this.aborted = true;
    for (const fn of this.aborters.splice(0)) fn();
  }

  /** Whether a party hung up while the transfer ran. */
  get isAborted(): boolean {
    return this.aborted;
  }

  view(): { kind: TransferKind; to: string; state: TransferState; since: string } {
    return { kind: this.kind, to: this.target, state: this.current, since: new Date(this.startedAt).toISOString() };
  }
}
