import type Srf from 'drachtio-srf';
import { cancelInvite, hangUp } from '../sip/hang-up';
import { srfApp } from '../sip/srf-app';

export interface ForkTarget {
  /** Request-URI: the registered contact */
  uri: string;
  /** next hop when the contact is behind NAT: where its REGISTER came from */
  proxy?: string;
  /** who this branch rings, when not the dialed callee (a REST pickup adds the picker's phones) */
  party?: string;
  /** credentials for a 401/407 from this target (a trunk's gateway, RFC 3261 22.2) */
  auth?: { username: string; password: string };
}

export interface ForkOptions {
  offer: string;
  headers: Record<string, string>;
  onProvisional(res: Srf.SrfResponse): void;
}

export interface ForkResult {
  dialog?: Srf.Dialog;
  /** the target that answered */
  target?: ForkTarget;
  /** the final status to give the caller when no branch answered */
  status: number;
}

/** One outstanding INVITE of the fork: its request once sent, and what it rings. */
export interface ForkBranch {
  target: ForkTarget;
  req?: Srf.SrfRequest;
  /** the branch's Call-ID and our From tag: how a phone names the early dialog in a Replaces */
  callId?: string;
  localTag?: string;
  /** To tags of the callee's provisional responses (one per early dialog) */
  remoteTags: Set<string>;
  cancelled?: boolean;
}

/** Told whether a target answered anything at all (unreachable-contacts.ts keeps the silent ones). */
export interface ReachObserver {
  /** no response from the target: timer B or a transport error (a 408/503 before any provisional) */
  silent(t: ForkTarget): void;
  /** some response came from the target itself */
  heard(t: ForkTarget): void;
  /**
   * A slot for one more INVITE to the target, given back when its transaction ends;
   * undefined: too many are outstanding to a target that never answered, skip it.
   */
  claim?(t: ForkTarget): (() => void) | undefined;
}

/** What a skipped branch counts as: RFC 3261 21.4.18, like a contact that did not answer at all. */
const SKIPPED = 480;

/** RFC 3326 with RFC 3261's cause 200: the CANCEL a ringing phone gets when another branch took the call. */
export const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

/**
 * Parallel forking to every contact of the callee (RFC 3261 16.7 behaviour from a
 * B2BUA): the first 2xx wins, the other branches are cancelled with a Reason saying the
 * call was completed elsewhere (RFC 3326), or, if they answered too, hung up. With no
 * winner the caller gets the best response: a 6xx if any, else the lowest class, 486
 * preferred among 4xx (a busy phone says more than 408). Branches may be added while it
 * rings (a REST pickup rings the picker's phones too).
 */
export class OutboundFork {
  readonly branches: ForkBranch[] = [];
  private cancelled = false;
  private winner?: { dialog: Srf.Dialog; target: ForkTarget };
  private opts?: ForkOptions;
  private readonly statuses: number[] = [];
  private running = 0;
  private settle: (r: ForkResult) => void = () => undefined;
  private readonly result = new Promise<ForkResult>((resolve) => (this.settle = resolve));

  constructor(private readonly srf: Srf, private readonly reach?: ReachObserver) {}

  /** Cancels every branch still ringing (the caller cancelled, no answer, or a pickup took the call). */
  cancel(reason?: string): void {
    this.cancelled = true;
    for (const b of this.branches) this.cancelBranch(b, reason);
  }

  /** Cancels the branches whose target matches, leaving the rest ringing. */
  cancelWhere(pred: (t: ForkTarget) => boolean, reason?: string): void {
    for (const b of this.branches) if (pred(b.target)) this.cancelBranch(b, reason);
  }

  private done = false;

  get settled(): boolean {
    return this.cancelled || this.done || this.winner !== undefined;
  }

  run(targets: ForkTarget[], opts: ForkOptions): Promise<ForkResult> {
    this.opts = opts;
    // cancelled before it ran (the caller gave up while the targets were looked up):
    // nothing is rung, and the fork settles as a CANCEL would have (RFC 3261 9.2: 487)
    if (this.cancelled) this.statuses.push(487);
    this.add(targets);
    // every target skipped (or none), or cancelled: decided at once, nothing was sent
    if (this.running === 0) this.finish();
    return this.result;
  }

  /** More branches while the fork rings; false if it is already decided. */
  add(targets: ForkTarget[]): boolean {
    if (!this.opts || this.settled) return false;
    for (const t of targets) {
      // claimed here, synchronously, so two calls starting together cannot both take the last slot
      const release = this.reach?.claim ? this.reach.claim(t) : () => undefined;
      if (release) void this.branch(t, this.opts, release);
      else this.statuses.push(SKIPPED);
    }
    return true;
  }

  private async branch(target: ForkTarget, opts: ForkOptions, release: () => void): Promise<void> {
    const b: ForkBranch = { target, remoteTags: new Set() };
    this.branches.push(b);
    this.running++;
    // Silence is what the transaction layer makes itself before any provisional response:
    // a 408 on timer B (RFC 3261 17.1.1.2; the embedded engine sends it without a To tag,
    // drachtio-server's sofia with one, so only the status tells) or a 503 without a To tag
    // on a transport error (8.1.3.1). A gateway's own 503 (it has a tag) is an answer.
    let heard = false;
    try {
      const d = await srfApp(this.srf).createUAC(target.uri, { localSdp: opts.offer, headers: opts.headers, proxy: target.proxy, auth: target.auth }, {
        cbRequest: (_err, req) => {
          if (!req) return;
          b.req = req;
          req.on('response', (res?: Srf.SrfResponse) => {
            if (!res || heard || (res.status >= 200 && silence(res.status, res.get('To')))) return;
            heard = true;
            this.reach?.heard(target);
          });
          b.callId = req.get('Call-ID');
          b.localTag = /;\s*tag=([^;\s]+)/.exec(req.get('From'))?.[1];
          if (this.settled) this.cancelBranch(b, this.winner ? COMPLETED_ELSEWHERE : undefined);
        },
        cbProvisional: (res) => {
          const tag = /;\s*tag=([^;\s]+)/.exec(res.get('To'))?.[1];
          if (tag) b.remoteTags.add(tag);
          opts.onProvisional(res);
        },
      });
      if (this.settled) {
        hangUp(d);
        return;
      }
      this.winner = { dialog: d, target };
      this.settle({ dialog: d, target, status: 200 });
      for (const other of this.branches) if (other !== b) this.cancelBranch(other, COMPLETED_ELSEWHERE);
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      if (!heard && (status === 408 || status === 503)) this.reach?.silent(target);
      this.statuses.push(status);
    } finally {
      release();
      this.running--;
      if (this.running === 0) this.finish();
    }
  }

  private finish(): void {
    this.done = true;
    if (!this.winner) this.settle({ status: best(this.statuses) });
  }

  private cancelBranch(b: ForkBranch, reason?: string): void {
    if (!b.req || b.cancelled) return;
    b.cancelled = true;
    cancelInvite(b.req, reason);
  }
}

/** a final the stack made itself because the target said nothing (see branch) */
function silence(status: number, to: string | undefined): boolean {
  return status === 408 || (status === 503 && !/;\s*tag=/i.test(to ?? ''));
}

function best(statuses: number[]): number {
  if (statuses.length === 0) return 480;
  const six = statuses.find((s) => s >= 600);
  if (six) return six;
  if (statuses.includes(486)) return 486;
  return [...statuses].sort((a, b) => a - b)[0];
}
