import type Srf from 'drachtio-srf';
import { OutboundFork, type ForkResult, type ForkTarget, type ReachObserver } from './outbound-fork';
import type { StepOutcome } from './ring-plan';

export interface RingStepOptions {
  targets: ForkTarget[];
  ringMs: number;
  offer: string;
  headers: Record<string, string>;
  onProvisional(res: Srf.SrfResponse): void;
}

export interface StepResult extends ForkResult {
  /** set when nobody answered */
  outcome?: StepOutcome;
}

/**
 * One step of a ring plan: its targets ring in parallel (OutboundFork) until one answers,
 * all fail, or the ring time runs out (then every branch is cancelled). The fork is
 * visible while it rings: a pickup joins or takes it.
 */
export class RingStepRun {
  readonly fork: OutboundFork;
  private rang = false;
  private timedOut = false;

  constructor(srf: Srf, reach?: ReachObserver) {
    this.fork = new OutboundFork(srf, reach);
  }

  async run(o: RingStepOptions): Promise<StepResult> {
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.fork.cancel();
    }, o.ringMs);
    try {
      const result = await this.fork.run(o.targets, {
        offer: o.offer,
        headers: o.headers,
        onProvisional: (res) => {
          if (res.status > 100) this.rang = true;
          o.onProvisional(res);
        },
      });
      if (result.dialog) return result;
      return { ...result, outcome: { status: result.status, rang: this.rang, timedOut: this.timedOut } };
    } finally {
      clearTimeout(timer);
    }
  }
}
