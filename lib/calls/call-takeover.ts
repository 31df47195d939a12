import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { MediaAnchor } from '../media';
import type { CallRecord, CallRepository, DialogSnapshot } from '../store';
import { hangUp } from '../sip/hang-up';
import type { Call, Side } from './call';
import { byeDialog, resumeCseq, resumeDialog } from './dialog-snapshot';

/*
 * The answered calls of an instance that is gone (issue #14: kill -9 of the server, or of
 * one instance of several). Each answered call's record keeps both parties' dialogs
 * (call-manager.ts `persist`, dialog-snapshot.ts `legSnapshot`); the calls of a dead
 * owner are claimed here (one Redis script: exactly one instance wins each call) and
 * either continued or ended:
 *
 * - `continue`: media anchored again (the rtpengine of a crashed server died with it):
 *   the caller's last SDP offered to rtpengine, the result to the callee in an INVITE
 *   that resumes its dialog on this engine (`resumeDialog`: its Call-ID and tags, a CSeq
 *   far above the dead engine's, RFC 3264 8: the o= we used, version + 1), the callee's
 *   answer through rtpengine to the caller the same way. The resuming INVITEs carry our
 *   Contact, a target refresh (RFC 3261 12.2.1.2): from then on both parties' requests
 *   reach this engine, and the call is this instance's like any other.
 * - `hangup`, or when continuing fails: BYE in each dialog (RFC 3261 15.1.1), sent from
 *   this engine with the dialog's identifiers; the record and media session removed.
 *
 *   record of a dead owner --claim won--> claimed here --both resumed--> continued (live here)
 *            |                                  |
 *            +--claimed elsewhere               +--policy hangup, refused, no answer--> BYE both, removed
 *
 * A call on music hold is ended (its music session died with the owner); a call with one
 * party left (parked) is the park feature's own take-over, left alone here.
 */

export type TakeoverPolicy = 'continue' | 'hangup';

export interface CallTakeoverDeps {
  srf: Srf;
  media: MediaAnchor;
  store: Pick<CallRepository, 'list' | 'claim' | 'remove'>;
  instanceId: string;
  /** whether an instance runs (the instance bus) */
  alive(instanceId: string): Promise<boolean>;
  /** whether this process holds the call */
  local(id: string): boolean;
  /** the call, both dialogs resumed here, joins this instance (CallManager.restoreAnswered) */
  restore(r: CallRecord, dialogs: Record<Side, Srf.Dialog>): Call;
  policy: TakeoverPolicy;
  logger: Logger;
  /** calls continued at once, default 8 (each is two INVITEs) */
  concurrency?: number;
  /** how often the records are checked for dead owners after the first look, default 5000 ms; 0: only at start */
  sweepMs?: number;
}

export interface TakeoverReport {
  continued: string[];
  ended: string[];
  ms: number;
}

/** What a dead owner's record gets, from the record alone (unit-tested). */
export function takeoverAction(r: CallRecord, policy: TakeoverPolicy): 'leave' | 'hangup' | 'continue' {
  const d = r.dialogs;
  // ringing: its caller's INVITE died with the engine; parked: the park feature's
  if (r.state !== 'answered' || !d?.caller || !d.callee) return 'leave';
  if (policy === 'hangup') return 'hangup';
  if (r.held && Object.keys(r.held).length > 0) return 'hangup';
  return d.caller.sdp ? 'continue' : 'hangup';
}

/** how long stop() waits for hand-overs under way */
const STOP_WAIT_MS = 5000;

export class CallTakeover {
  /** records in this instance's own name answered before this process started are a crashed predecessor's */
  private readonly startedAt = Date.now();
  private readonly taking = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private readonly work = new Set<Promise<unknown>>();

  constructor(private readonly deps: CallTakeoverDeps) {}

  /**
   * The first look (awaited: the dead owner's calls are claimed before anything else
   * may judge them gone), then one every `sweepMs`. Resolves with the continuing of the
   * calls claimed at start, which runs on.
   */
  async start(): Promise<{ claimed: number; done: Promise<TakeoverReport> }> {
    const first = await this.sweep();
    const every = this.deps.sweepMs ?? 5000;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.sweeping ??= this.sweep()
          .then((s) => s.done, (err: Error) => this.deps.logger.warn('call take-over: looking for calls of dead instances failed', { error: err.message }))
          .finally(() => (this.sweeping = undefined));
      }, every);
      this.timer.unref();
    }
    return first;
  }

  /**
   * Stops looking; waits a bounded time for hand-overs under way (an INVITE resuming a
   * dialog whose phone is gone may wait for timer B, or for ever on an engine that died):
   * a stop must not hang on a phone that never answers.
   */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([this.sweeping, ...this.work]), new Promise((r) => (timer = setTimeout(r, STOP_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Claims every answered call of a dead owner, then continues or ends them (`done`). */
  async sweep(): Promise<{ claimed: number; done: Promise<TakeoverReport> }> {
    const started = Date.now();
    const claimed: CallRecord[] = [];
    const alive = new Map<string, Promise<boolean>>();
    for (const r of await this.deps.store.list()) {
      if (takeoverAction(r, this.deps.policy) === 'leave' || this.taking.has(r.id)) continue;
      if (r.instanceId === this.deps.instanceId) {
        if (this.deps.local(r.id) || (r.answeredAt ?? 0) >= this.startedAt) continue;
      } else {
        if (!alive.has(r.instanceId)) alive.set(r.instanceId, this.deps.alive(r.instanceId).catch(() => true));
        if (await alive.get(r.instanceId)) continue;
      }
      const mine = await this.deps.store.claim(r.id, r.instanceId, this.deps.instanceId);
      if (!mine) continue; // ended meanwhile, or another instance was first
      this.taking.add(mine.id);
      claimed.push(mine);
    }
    const done = this.handle(claimed, started);
    this.track(done);
    return { claimed: claimed.length, done };
  }

  /** Work `stop` waits for. */
  private track(p: Promise<unknown>): void {
    this.work.add(p);
    void p.finally(() => this.work.delete(p)).catch(() => undefined);
  }

  private async handle(queue: CallRecord[], started: number): Promise<TakeoverReport> {
    const report: TakeoverReport = { continued: [], ended: [], ms: 0 };
    if (queue.length === 0) return report;
    const worker = async (): Promise<void> => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const outcome = await this.one(r).catch(() => 'ended' as const);
        this.taking.delete(r.id);
        report[outcome].push(r.id);
      }
    };
    const total = queue.length;
    await Promise.all(Array.from({ length: Math.min(total, this.deps.concurrency ?? 8) }, worker));
    report.ms = Date.now() - started;
    this.deps.logger.warn('call take-over: calls of an instance that is gone handled', { policy: this.deps.policy,
      continued: report.continued.length, ended: report.ended.length, ms: report.ms });
    return report;
  }

  private async one(r: CallRecord): Promise<'continued' | 'ended'> {
    const log = this.deps.logger.child({ callId: r.caller.callId, call: r.id, tenant: r.tenant, from: r.instanceId });
    const caller = r.dialogs?.caller as DialogSnapshot;
    const callee = r.dialogs?.callee as DialogSnapshot;
    let why = 'policy';
    const resumed: Partial<Record<Side, Srf.Dialog>> = {};
    const cseq = { caller: 0, callee: 0 };
    try {
      cseq.caller = resumeCseq(caller.cseq);
      cseq.callee = resumeCseq(callee.cseq);
      if (takeoverAction(r, this.deps.policy) === 'continue') {
        const { media, srf } = this.deps;
        const p = { callId: r.mediaCallId, fromTag: r.caller.tag };
        const toCallee = await media.offer({ ...p, sdp: caller.sdp as string });
        resumed.callee = await resumeDialog(srf, callee, toCallee, cseq.callee);
        const toCaller = await media.answer({ ...p, toTag: r.callee.tag, sdp: resumed.callee.remote.sdp });
        resumed.caller = await resumeDialog(srf, caller, toCaller, cseq.caller);
        this.deps.restore(r, { caller: resumed.caller, callee: resumed.callee });
        log.warn('call take-over: live call continued here');
        return 'continued';
      }
      why = r.held && Object.keys(r.held).length > 0 ? 'on hold (its music is gone)' : why;
    } catch (err) {
      why = (err as Error).message;
    }
    log.warn('call take-over: live call of an instance that is gone ended', { reason: why });
    await Promise.allSettled([this.deps.media.delete({ callId: r.mediaCallId }), this.deps.store.remove(r.id)]);
    // a dialog resumed here is ours to hang up; the others get a BYE with a CSeq above the
    // INVITE's. Their answers are not waited for: the next call's BYEs must not queue behind them
    this.track(Promise.all((['caller', 'callee'] as const).map(async (side) => {
      const d = resumed[side];
      if (d) hangUp(d);
      else if (cseq[side] > 0) await byeDialog(this.deps.srf, side === 'caller' ? caller : callee, cseq[side] + 1);
    })));
    return 'ended';
  }
}
