import type Srf from 'drachtio-srf';
import { hangUp } from '../sip/hang-up';
import { COMPLETED_ELSEWHERE, OutboundFork, type ForkResult, type ForkTarget, type ReachObserver } from './outbound-fork';
import type { StepOutcome } from './ring-plan';

/** More targets that join a step while its first ones keep ringing (CFNR overlap). */
export interface StepOverlap {
  /** when they start, from the step's start */
  afterMs: number;
  targets: ForkTarget[];
  /** their INVITEs' headers (the call was diverted: History-Info, Diversion) */
  headers: Record<string, string>;
  /** told when they start ringing (the caller gets 181) */
  onStart(): void;
}

export interface RingStepOptions {
  targets: ForkTarget[];
  ringMs: number;
  offer: string;
  headers: Record<string, string>;
  onProvisional(res: Srf.SrfResponse): void;
  overlap?: StepOverlap;
}

export interface StepResult extends ForkResult {
  /** set when nobody answered */
  outcome?: StepOutcome;
}

/**
 * The step's fork as the call sees it (a pickup adds to it, a caller's CANCEL cancels it):
 * cancelling it cancels the overlap's fork too, once there is one.
 */
class StepFork extends OutboundFork {
  overlap?: OutboundFork;

  override cancel(reason?: string): void {
    super.cancel(reason);
    this.overlap?.cancel(reason);
  }

  override cancelWhere(pred: (t: ForkTarget) => boolean, reason?: string): void {
    super.cancelWhere(pred, reason);
    this.overlap?.cancelWhere(pred, reason);
  }

  /** Only the step's first targets: the overlap answered. */
  cancelOwn(reason: string): void {
    super.cancel(reason);
  }
}

/**
 * One step of a ring plan: its targets ring in parallel (OutboundFork) until one answers,
 * all fail, or the ring time runs out (then every branch is cancelled). The fork is
 * visible while it rings: a pickup joins or takes it. With an overlap, more targets
 * start after `afterMs` in a fork of their own (their own headers) while the first keep
 * ringing; the first 2xx of either wins and the other fork is cancelled as completed
 * elsewhere (RFC 3326). First targets that all fail before the overlap starts end the
 * step (a busy phone is forwarded on busy, not overlapped).
 */
export class RingStepRun {
  readonly fork: StepFork;
  private rang = false;
  private timedOut = false;
  private overlapped = false;

  constructor(private readonly srf: Srf, private readonly reach?: ReachObserver) {
    this.fork = new StepFork(srf, reach);
  }

  async run(o: RingStepOptions): Promise<StepResult> {
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.fork.cancel();
    }, o.ringMs);
    const onProvisional = (res: Srf.SrfResponse): void => {
      if (res.status > 100) this.rang = true;
      o.onProvisional(res);
    };
    let start: () => void = () => undefined;
    const started = new Promise<'overlap'>((resolve) => (start = () => resolve('overlap')));
    const overlapTimer = o.overlap ? setTimeout(start, o.overlap.afterMs) : undefined;
    try {
      const primary = this.fork.run(o.targets, { offer: o.offer, headers: o.headers, onProvisional });
      const first = await Promise.race([primary, started]);
      // settled: the first targets answered or failed, or the call was cancelled or taken
      if (first !== 'overlap' || !o.overlap || this.fork.settled) return this.result(await primary);
      return this.result(await this.both(primary, o.overlap, o.offer, onProvisional));
    } finally {
      clearTimeout(timer);
      clearTimeout(overlapTimer);
    }
  }

  private async both(primary: Promise<ForkResult>, ov: StepOverlap, offer: string, onProvisional: (res: Srf.SrfResponse) => void): Promise<ForkResult> {
    const fork = new OutboundFork(this.srf, this.reach);
    this.fork.overlap = fork;
    this.overlapped = true;
    ov.onStart();
    const second = fork.run(ov.targets, { offer, headers: ov.headers, onProvisional });
    const tagged = (p: Promise<ForkResult>, overlap: boolean): Promise<{ r: ForkResult; overlap: boolean }> => p.then((r) => ({ r, overlap }));
    const a = await Promise.race([tagged(primary, false), tagged(second, true)]);
    if (a.r.dialog) {
      // the other fork's branches are cancelled; one answering in the same instant is hung up
      if (a.overlap) this.fork.cancelOwn(COMPLETED_ELSEWHERE);
      else fork.cancel(COMPLETED_ELSEWHERE);
      void (a.overlap ? primary : second).then((r) => hangUp(r.dialog));
      return a.r;
    }
    const b = await (a.overlap ? primary : second);
    if (b.dialog) return b;
    // nobody answered: the overlap target's status speaks for the call, it was diverted there
    return a.overlap ? a.r : b;
  }

  private result(r: ForkResult): StepResult {
    if (r.dialog) return r;
    return { ...r, outcome: { status: r.status, rang: this.rang, timedOut: this.timedOut, overlapped: this.overlapped } };
  }
}
