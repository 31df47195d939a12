import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { MediaAnchor } from '../media';
import type { CallParty, CallRecord, CallRepository } from '../store';
import { respond } from '../sip/respond';
import { quoted } from '../sip/name-addr';
import { Call, opposite, type CallListener, type Side } from './call';
import { COMPLETED_ELSEWHERE, type ForkBranch, type ForkTarget, type OutboundFork } from './outbound-fork';
import type { CallHost, Unanswered } from './call-host';
import { wireParty } from './party-wiring';
import { fixedRing, type RingNext, type RingSequence, type StepOutcome } from './ring-plan';
import { RingStepRun, type StepResult } from './ring-step';
import { hangUp, isConnected } from '../sip/hang-up';
import { pickUpRinging } from './pick-up-ringing';
import type { OfferInterceptor } from './reinvite-relay';
import { answerInvite } from './answer';
import { callSnapshots } from './dialog-snapshot';
import { relayProvisional } from './provisional';
import { calleeLegTimer, calleeTimerHeaders, callerTimerChoice, startLegTimers } from './leg-timers';
import { hasOptionTag, type UasTimerPolicy } from '../sip/session-expires';
import { avoidUnreachable, UnreachableContacts } from './unreachable-contacts';
import { setupFailure } from './setup-failure';
import { refuseStrayRefers } from './stray-refer';

export interface CallManagerDeps {
  srf: Srf;
  media: MediaAnchor;
  store: CallRepository;
  logger: Logger;
  instanceId: string;
  /** session timers (RFC 4028) on both legs; none when absent */
  sessionTimers?: UasTimerPolicy;
  /** contacts that answered nothing, skipped for a while (unreachable-contacts.ts); default: 60 s, 10,000 contacts */
  unreachable?: UnreachableContacts;
}

/** How long a contact that answered nothing at all is skipped, and how many are remembered. */
const UNREACHABLE_TTL_MS = 60000;
const UNREACHABLE_MAX = 10000;

interface ConnectBase {
  tenant: string;
  caller: Omit<CallParty, 'callId' | 'tag'> & { display?: string };
  /** the dialed callee: the To of every outbound INVITE, even after a diversion (RFC 7044 retargeting) */
  callee: { user: string; uri: string };
  /** more headers on the outbound INVITEs (the internal token, toward another instance's service) */
  headers?: Record<string, string>;
}

/**
 * A call to connect: either fixed targets ringing for `noAnswerMs` (park comeback, a
 * pickup through another instance), or a ring plan asked for step after step while the
 * caller waits (a user call, lib/calls/user-call-plan.ts).
 */
export type ConnectRequest = ConnectBase & ({ targets: ForkTarget[]; noAnswerMs: number } | { plan: RingSequence });

/**
 * The B2BUA call model: each call is the caller's dialog, the callee's dialog and one
 * rtpengine session, mirrored in Redis while it lives. Features follow calls through
 * `subscribe`; nothing of a call outlives its end (dialogs, media, keys, timers).
 */
export class CallManager {
  private readonly calls = new Map<string, Call>();
  private readonly listeners: CallListener[] = [];
  private readonly interceptors: OfferInterceptor[] = [];
  private idleWaiters: Array<() => void> = [];

  /** what the pieces split out of the manager (party-wiring.ts, pick-up-ringing.ts) may use */
  private readonly host: CallHost;
  private readonly unreachable: UnreachableContacts;

  constructor(private readonly deps: CallManagerDeps) {
    this.unreachable = deps.unreachable ?? new UnreachableContacts({ ttlMs: UNREACHABLE_TTL_MS, max: UNREACHABLE_MAX });
    this.host = {
      srf: deps.srf,
      media: deps.media,
      listeners: this.listeners,
      interceptors: this.interceptors,
      unanswered: (id) => this.unanswered.get(id),
      join: (call, side, d) => this.join(call, side, d),
      persist: (call) => this.persist(call),
      emit: (fn) => this.emit(fn),
      changed: (call, notify) => this.changed(call, notify),
      end: (call, reason) => this.end(call, reason),
    };
  }

  subscribe(listener: CallListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i !== -1) this.listeners.splice(i, 1);
    };
  }

  /** A feature takes mid-call offers before the plain relay (see OfferInterceptor). */
  interceptOffers(interceptor: OfferInterceptor): () => void {
    this.interceptors.push(interceptor);
    return () => {
      const i = this.interceptors.indexOf(interceptor);
      if (i !== -1) this.interceptors.splice(i, 1);
    };
  }

  get(id: string): Call | undefined {
    return this.calls.get(id);
  }

  list(): Call[] {
    return [...this.calls.values()];
  }

  get size(): number {
    return this.calls.size;
  }

  /** Hangs up both sides (REST DELETE /v1/calls/{id}, drain). */
  hangup(id: string, reason = 'hangup'): boolean {
    const call = this.calls.get(id);
    if (!call) return false;
    if (call.state === 'answered') {
      hangUp(call.uas);
      hangUp(call.uac);
      void this.end(call, reason);
    } else {
      this.pendingCancel.get(id)?.();
    }
    return true;
  }

  /** Hold state set by the server itself (a feature holding a party by REST): stored and announced. */
  setHeld(call: Call, side: Side, held: boolean): void {
    if (held === (call.held[side] !== undefined)) return;
    if (held) call.held[side] = Date.now();
    else delete call.held[side];
    this.changed(call, (l) => (held ? l.onHeld?.(call, side) : l.onResumed?.(call, side)));
  }

  /** Resolves once no call is left on this instance. */
  idle(): Promise<void> {
    if (this.calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private readonly pendingCancel = new Map<string, () => void>();
  /** what stops each answered call's session timers */
  private readonly timers = new Map<string, () => void>();

  /** calls not answered yet: the caller's INVITE, the fork ringing the callee */
  private readonly unanswered = new Map<string, Unanswered>();

  /** The early dialogs of a ringing call's outbound branches (BLF dialog-info, Replaces). */
  earlyLegs(call: Call): readonly ForkBranch[] {
    return this.unanswered.get(call.id)?.fork.branches ?? [];
  }

  /** A phone's INVITE picks up the ringing call (pick-up-ringing.ts). */
  async takeOver(call: Call, req: Srf.SrfRequest, res: Srf.SrfResponse, picker: CallParty): Promise<'ok' | 'gone' | 'codec' | 'cancelled'> {
    return pickUpRinging(this.host, call, req, res, picker);
  }

  /**
   * Pickup from REST: the picker's phones join the ringing fork; when one answers, the
   * call is theirs and the callee's branches are cancelled as completed elsewhere.
   * False if the call is no longer ringing.
   */
  ringAlso(call: Call, targets: ForkTarget[], cancelOthers: boolean): boolean {
    const u = this.unanswered.get(call.id);
    if (!u || u.taken || call.state === 'answered' || call.state === 'ended') return false;
    if (!u.fork.add(targets)) return false;
    if (cancelOthers) u.fork.cancelWhere((t) => !targets.includes(t), COMPLETED_ELSEWHERE);
    return true;
  }

  /**
   * Connects the caller's INVITE to the callee (call flows "Successful call", "busy",
   * "no answer", "caller cancels", and the forwarding service examples): SDP through
   * rtpengine both ways, provisional responses relayed, the ring plan's steps one after
   * another (each with its ring time, 181 when the call was diverted), and the caller's
   * CANCEL carried to every branch.
   */
  async connect(req: Srf.SrfRequest, res: Srf.SrfResponse, r: ConnectRequest): Promise<Call | undefined> {
    const { media } = this.deps;
    const callId = req.get('Call-ID');
    const fromTag = /;\s*tag=([^;\s]+)/.exec(req.get('From'))?.[1] ?? '';
    const id = randomUUID();
    const log = this.deps.logger.child({ callId, call: id, tenant: r.tenant });
    if (!req.body) {
      // late offer (an INVITE without SDP) is not bridged yet: say so rather than fail later
      respond(res, 488, 'Not Acceptable Here - SDP offer required', { Warning: '399 feature-server "offerless INVITE not supported"' });
      return undefined;
    }
    const timer422 = callerTimerChoice(req, this.deps.sessionTimers);
    if (timer422?.kind === 'reject') {
      // RFC 4028 9: an interval below our minimum is refused, naming the minimum
      respond(res, 422, 'Session Interval Too Small', { 'Min-SE': String(timer422.minSe) });
      return undefined;
    }
    const sessionTimer = timer422;
    // contacts that answered nothing lately are not rung (nor offered media) again
    const plan = avoidUnreachable('plan' in r ? r.plan : fixedRing(r.targets, r.noAnswerMs), this.unreachable);
    // the caller may CANCEL while the plan asks its hooks (the engine answers it 487)
    let callerCancelled = false;
    let ringing: OutboundFork | undefined;
    req.on('cancel', () => {
      callerCancelled = true;
      ringing?.cancel();
    });
    // the plan may refuse the call before anything is set up (screening, a loop)
    let next: RingNext = await plan.first();
    if (callerCancelled) return undefined;
    if (next.kind === 'final') {
      respond(res, next.status, next.reason);
      return undefined;
    }
    const call = new Call(id, r.tenant, { ...r.caller, callId, tag: fromTag },
      { user: r.callee.user, tenant: r.tenant, uri: r.callee.uri, callId: '', tag: '' }, callId, this.deps.instanceId, log);
    this.calls.set(id, call);
    let answeredCaller = false;
    let step = new RingStepRun(this.deps.srf, this.unreachable);
    this.pendingCancel.set(id, () => {
      // the callee may have answered already (its dialog joined, the caller not answered yet)
      callerCancelled = true;
      pending.fork.cancel();
      if (!answeredCaller) respond(res, 487);
    });
    const pending: Unanswered = { req, res, fork: step.fork, offer: req.body, taken: false };
    ringing = step.fork;
    this.unanswered.set(id, pending);
    try {
      await this.persist(call);
      const offer = await media.offer({ callId, fromTag, sdp: req.body });
      // RFC 3261 25.1: the display name travels escaped, and no longer than a person's name
      const display = r.caller.display ? `${quoted(r.caller.display.slice(0, 64))} ` : '';
      const over = (): boolean => answeredCaller || callerCancelled || pending.taken;
      let result: StepResult | undefined;
      let last: StepOutcome | undefined;
      while (next.kind === 'ring' && !over()) {
        if (next.forwarded) respond(res, 181, 'Call Is Being Forwarded'); // RFC 3261 21.1.3
        if (next.ringback && call.to('ringing')) {
          respond(res, 180, 'Ringing');
          void this.persist(call).catch(() => undefined);
          this.emit((l) => l.onRinging?.(call));
        }
        if (next.callee && next.callee !== call.callee.user) {
          call.setParty('callee', { ...call.callee, user: next.callee, uri: `sip:${next.callee}@${r.tenant}` });
        }
        if (result) {
          step = new RingStepRun(this.deps.srf, this.unreachable);
          pending.fork = step.fork;
          ringing = step.fork;
        }
        const headers = (own?: Record<string, string>): Record<string, string> =>
          ({ ...r.headers, ...own, ...calleeTimerHeaders(this.deps.sessionTimers), From: `${display}<${r.caller.uri}>`, To: `<${r.callee.uri}>` });
        const overlap = next.overlap;
        const ringback = next.ringback === true;
        result = await step.run({
          targets: next.targets, ringMs: next.ringMs, offer, headers: headers(next.headers),
          onProvisional: (prov) => void relayProvisional(this.host, call, res, prov, over, { localRingback: ringback }),
          // RFC 3261 21.1.3: the call is diverted to the overlap targets while the phones ring on
          overlap: overlap && { ...overlap, headers: headers(overlap.headers), onStart: () => {
            if (!over()) respond(res, 181, 'Call Is Being Forwarded');
          } },
        });
        if (!result.outcome || over()) break;
        last = result.outcome;
        next = await plan.next(result.outcome);
      }
      if (pending.taken) {
        // a phone picked the call up (takeOver owns it now); a callee answering late is hung up
        hangUp(result?.dialog);
        return call;
      }
      if (!result?.dialog) {
        if (!callerCancelled && next.kind === 'final') respond(res, next.status, next.reason);
        await this.end(call, callerCancelled ? 'caller-cancelled' : last?.timedOut ? 'no-answer' : `failed-${next.kind === 'final' ? next.status : 0}`);
        return undefined;
      }
      const uac = result.dialog;
      pending.taken = true;
      call.callee.callId = uac.sip.callId;
      call.callee.tag = uac.sip.remoteTag;
      if (result.target?.party) {
        // a REST pickup's phone answered: the call is the picker's
        call.setParty('callee', { user: result.target.party, tenant: r.tenant, uri: `sip:${result.target.party}@${r.tenant}`, callId: uac.sip.callId, tag: uac.sip.remoteTag });
      }
      if (callerCancelled) {
        hangUp(uac);
        await this.end(call, 'caller-cancelled');
        return undefined;
      }
      // the callee's dialog is the call's from now on: a BYE or a re-INVITE right behind our
      // ACK must find it listened to while the caller is still being answered
      if (!this.join(call, 'callee', uac)) {
        if (!callerCancelled) respond(res, 480, 'Temporarily Unavailable - Callee Left');
        return undefined;
      }
      const answer = await media.answer({ callId, fromTag, toTag: call.callee.tag, sdp: uac.remote.sdp });
      if (callerCancelled || call.is('ended')) {
        // the caller cancelled, or the callee hung up, while rtpengine answered
        if (!callerCancelled) respond(res, 480, 'Temporarily Unavailable - Callee Left');
        hangUp(call.uac);
        await this.end(call, callerCancelled ? 'caller-cancelled' : 'callee-hangup');
        return undefined;
      }
      answeredCaller = true;
      // the caller's dialog is wired in the tick it exists (see answerInvite)
      let joined = false;
      await answerInvite(this.deps.srf, req, res, answer, (uas) => {
        joined = this.join(call, 'caller', uas);
        if (joined) call.to('answered');
      }, sessionTimer?.headers);
      if (joined && callerCancelled) {
        // hung up by REST while the caller was being answered
        this.hangup(call.id, 'hangup');
        return undefined;
      }
      if (joined && call.is('answered') && sessionTimer) {
        const callerLeg = { expiresS: sessionTimer.expires, weRefresh: sessionTimer.refresher === 'uas', update: hasOptionTag(req.get('Allow'), 'update') };
        this.timers.set(call.id, startLegTimers(call, { caller: callerLeg, callee: calleeLegTimer(uac) }, (side, why) => {
          call.log.info('session timer expired: hanging up', { side, why });
          this.hangup(call.id, 'session-expired');
        }));
      }
      if (!joined || !call.is('answered')) return undefined;
      // a Redis hiccup does not end an answered call: the record is written again on its next change
      await this.persist(call).catch((e: Error) => log.warn('call record not saved', { error: e.message }));
      if (!call.is('answered')) return undefined;
      this.emit((l) => l.onAnswered?.(call));
      log.info('call answered', { callee: r.callee.user });
      return call;
    } catch (err) {
      const failure = setupFailure(err);
      if (failure.log) log.error('call setup failed', { error: (err as Error).message });
      if (!answeredCaller && !callerCancelled) respond(res, failure.status, failure.reason);
      hangUp(call.uas);
      hangUp(call.uac);
      await this.end(call, 'setup-failed');
      return undefined;
    } finally {
      this.pendingCancel.delete(id);
      this.unanswered.delete(id);
    }
  }

  /**
   * A party's dialog joins the call and is listened to at once. False when the call is
   * over: ended already (the dialog is hung up), or the party hung up before anyone
   * listened (its BYE reached srf with no listener; the other party is hung up and the
   * call ended, rather than kept half-dead with its media and keys).
   */
  private join(call: Call, side: Side, d: Srf.Dialog): boolean {
    if (call.is('ended')) {
      hangUp(d);
      return false;
    }
    call.setDialog(side, d);
    if (!isConnected(d)) {
      call.log.info('party gone before the call was wired', { side });
      call.setDialog(side, undefined);
      hangUp(call.dialog(opposite(side)));
      void this.end(call, `${side}-hangup`);
      return false;
    }
    wireParty(this.host, call, side, d);
    return true;
  }

  /**
   * Writes the call's record, unless the call has ended: a save that starts after the
   * end's delete would leave an ended call in GET /v1/calls for the record's whole TTL.
   * Redis runs one connection's commands in order, so a save begun before the end is
   * deleted by it.
   */
  private async persist(call: Call): Promise<void> {
    if (call.is('ended')) return;
    // an answered call's dialogs go with it: what a take-over continues it from after a crash
    const dialogs = call.is('answered') ? callSnapshots(call) : undefined;
    await this.deps.store.save({ ...call.record(), ...(dialogs ? { dialogs } : {}) });
  }

  /**
   * A party leaves without ending the call (park releases the parker): BYE to it; the
   * other party stays, and the call ends when it hangs up.
   */
  release(call: Call, side: Side): void {
    hangUp(this.detach(call, side));
  }

  /**
   * A party leaves the call but its dialog lives on, owned by the caller now (park plays
   * the slot announcement to the parker, then hangs up): its BYE or re-INVITE no longer
   * touch the call.
   */
  detach(call: Call, side: Side): Srf.Dialog | undefined {
    const d = call.dialog(side);
    call.setDialog(side, undefined);
    // the call's relays let go too: with no listener srf answers a re-INVITE or UPDATE
    // (a session refresh) with the dialog's current SDP rather than our 481
    for (const e of ['modify', 'update', 'refer', 'info']) d?.removeAllListeners(e);
    if (d) refuseStrayRefers(d);
    void this.persist(call).catch(() => undefined);
    return d;
  }

  /**
   * A new dialog takes a side of the call (retrieving a parked call, a pickup): the
   * caller of `dialog` becomes that party, with its media already in the call's session.
   * False when the call ended meanwhile (the other party hung up, a REST hang-up while
   * the new party answered): the new dialog gets its BYE at once rather than living on
   * unattached, and the caller cleans up what it set up for it (its media session).
   */
  adopt(call: Call, side: Side, dialog: Srf.Dialog, party: CallParty): boolean {
    if (call.state === 'ended') {
      hangUp(dialog);
      return false;
    }
    const someoneElse = call[side].user !== party.user;
    call.setDialog(side, dialog);
    call.setParty(side, party);
    wireParty(this.host, call, side, dialog);
    void this.persist(call).catch(() => undefined);
    if (someoneElse) this.emit((l) => l.onPartyChanged?.(call, side));
    return true;
  }

  /**
   * A call another instance owned until it died, continued here with one party (a
   * parked call whose dialog `resumeDialog` took over): answered, its record now ours.
   */
  restore(r: Pick<CallRecord, 'id' | 'tenant' | 'caller' | 'callee' | 'mediaCallId'>, side: Side, dialog: Srf.Dialog): Call {
    const log = this.deps.logger.child({ callId: r.caller.callId, call: r.id, tenant: r.tenant });
    const call = new Call(r.id, r.tenant, { ...r.caller }, { ...r.callee }, r.mediaCallId, this.deps.instanceId, log);
    call.to('answered');
    this.calls.set(call.id, call);
    this.adopt(call, side, dialog, side === 'caller' ? call.caller : call.callee);
    return call;
  }

  /**
   * A call another instance (or this server before a crash) owned, continued here with
   * both parties: `dialogs` resumed them on this engine (call-takeover.ts), their media
   * already anchored again in `r.mediaCallId`. Answered, wired and its record now ours.
   */
  restoreAnswered(r: Pick<CallRecord, 'id' | 'tenant' | 'caller' | 'callee' | 'mediaCallId'>,
    dialogs: Record<Side, Srf.Dialog>): Call {
    const log = this.deps.logger.child({ callId: r.caller.callId, call: r.id, tenant: r.tenant });
    const call = new Call(r.id, r.tenant, { ...r.caller }, { ...r.callee }, r.mediaCallId, this.deps.instanceId, log);
    call.to('answered');
    this.calls.set(call.id, call);
    for (const side of ['caller', 'callee'] as const) {
      // a party that hung up while the other was being resumed ends the call (join)
      if (!this.join(call, side, dialogs[side])) {
        hangUp(dialogs.caller);
        hangUp(dialogs.callee);
        return call;
      }
    }
    void this.persist(call).catch(() => undefined);
    return call;
  }

  private changed(call: Call, notify: (l: CallListener) => void): void {
    void this.persist(call).catch(() => undefined);
    this.emit(notify);
  }

  private async end(call: Call, reason: string): Promise<void> {
    if (!call.to('ended')) return;
    call.endReason = reason;
    call.log.info('call ended', { reason });
    this.calls.delete(call.id);
    this.timers.get(call.id)?.();
    this.timers.delete(call.id);
    await Promise.allSettled([
      this.deps.media.delete({ callId: call.mediaCallId }),
      this.deps.store.remove(call.id),
    ]);
    this.emit((l) => l.onEnded?.(call, reason));
    if (this.calls.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private emit(fn: (l: CallListener) => void): void {
    for (const l of this.listeners) {
      try {
        fn(l);
      } catch (err) {
        this.deps.logger.error('call listener failed', { error: (err as Error).message });
      }
    }
  }
}
