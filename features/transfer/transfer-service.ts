import { randomBytes } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import { answerInvite, modifyWithRetry, opposite, OutboundFork, type Call, type CallManager, type ForkTarget, type Side } from '../../lib/calls';
import type { MediaAnchor } from '../../lib/media';
import { hangUp, isConnected } from '../../lib/sip/hang-up';
import { respond } from '../../lib/sip/respond';
import type { CallParty } from '../../lib/store';
import { moveTransferee, towardTarget } from './media-move';
import { reasonOf, type ReferProgress } from './refer-progress';
import { TransferError } from './transfer-error';
import { TransferRun, type TransferKind } from './transfer-state';

export interface TransferServiceDeps {
  srf: Srf;
  media: MediaAnchor;
  calls: CallManager;
  logger: Logger;
  /** the registered phones of a user of the tenant */
  phones(tenant: string, user: string): Promise<ForkTarget[]>;
  /** how long the target may ring (ms) */
  ringMs: number;
}

export interface BlindOptions {
  /** RFC 3892: who asked for the transfer, carried to the target */
  referredBy?: string;
  progress?: ReferProgress;
  /**
   * The target through the instance that owns it (an attended transfer across instances,
   * remote.ts): this fork target and headers are rung instead of the user's phones
   */
  via?: { targets: ForkTarget[]; headers: Record<string, string> };
}

/** The outcome of a transfer: 200, or the target's failure status (the transferee is back with the transferor). */
export interface TransferOutcome {
  status: number;
}

/** A dialog that may end while nobody of the call listens to it: remembered, so the end is not lost. */
function watchEnd(d: Srf.Dialog): () => boolean {
  let gone = !isConnected(d);
  d.once('destroy', () => (gone = true));
  return () => gone || !isConnected(d);
}

/**
 * Call transfer by the B2BUA itself (RFC 5589, call flows "unattended" and "attended
 * transfer"): the server stays in the path, so a REFER is not passed on; the server
 * calls the target, moves the transferee's media to it (media-move.ts) and releases the
 * transferor. Until the transferee is moved nothing of its call changes: a failure
 * gives it back to the transferor, or hangs it up if the transferor has gone.
 */
export class TransferService {
  private readonly runs = new Map<string, TransferRun>();

  constructor(private readonly deps: TransferServiceDeps) {}

  /** The transfer under way on a call of this instance. */
  running(callId: string): TransferRun | undefined {
    return this.runs.get(callId);
  }

  /** A party hung up: a transfer of its call stops (its ringing target is cancelled). */
  ended(call: Call): void {
    this.runs.get(call.id)?.abort();
  }

  /** Why these calls cannot be transferred now, if they cannot: checked before a REFER is accepted. */
  refusal(calls: Call[]): TransferError | undefined {
    for (const c of calls) {
      if (!c.is('answered')) return new TransferError('not-answered', 481, `call ${c.id} is not answered`);
      if (this.runs.has(c.id)) return new TransferError('in-progress', 491, `call ${c.id} is being transferred already`);
      // an answered call with one dialog and no transfer of ours under way has had a party
      // taken out by another feature: parked (its parker released), so there is nobody to
      // transfer it to or from; a retrieve, not a transfer, is what moves it on
      if (!c.uas || !c.uac) return new TransferError('parked', 403, `call ${c.id} is parked: it has one party only`);
    }
    return undefined;
  }

  private begin(calls: Call[], kind: TransferKind, to: string, start: 'calling' | 'moving'): TransferRun {
    const refused = this.refusal(calls);
    if (refused) throw refused;
    const run = new TransferRun(kind, to, start);
    for (const c of calls) this.runs.set(c.id, run);
    return run;
  }

  private finish(calls: Call[], run: TransferRun): void {
    for (const c of calls) if (this.runs.get(c.id) === run) this.runs.delete(c.id);
  }

  /**
   * Blind transfer (RFC 5589 6.1; service example "Unattended transfer"): the party
   * opposite `transferor` is connected to `to`, a user of the call's tenant. The
   * transferor leaves the call at once (its BYE right after the 202 no longer ends the
   * call) and is released once the target answered.
   */
  async blind(call: Call, transferor: Side, to: string, opts: BlindOptions = {}): Promise<TransferOutcome> {
    const run = this.begin([call], opts.via ? 'attended' : 'blind', to, 'calling');
    const { media, calls } = this.deps;
    const transferee = opposite(transferor);
    const mediaCallId = `tr-${call.id}-${randomBytes(3).toString('hex')}`;
    const left = calls.detach(call, transferor);
    const log = call.log.child({ feature: 'transfer' });
    let status = 500;
    try {
      // RFC 3515 2.4.5: the 100 Trying NOTIFY reports progress; the target is called without
      // waiting for the transferor's answer to it (a transferor gone silent would hold the
      // transfer for 64*T1 while the transferee may hang up)
      void opts.progress?.trying();
      const phones = opts.via?.targets ?? await this.deps.phones(call.tenant, to);
      const dB = call.dialog(transferee);
      if (phones.length === 0 || !dB) {
        status = dB ? 480 : 487;
        throw new TransferError('no-target', status, dB ? `${to} has no registered phone` : 'the transferee hung up');
      }
      const offer = await towardTarget(media, mediaCallId, call.tag(transferee), dB.remote.sdp);
      if (run.isAborted || call.is('ended')) {
        status = 487;
        throw new TransferError('failed', status, 'the transferee hung up before the target was called');
      }
      const party = call[transferee];
      const fork = new OutboundFork(this.deps.srf);
      let noAnswer = false;
      const timer = setTimeout(() => {
        noAnswer = true;
        fork.cancel();
      }, this.deps.ringMs);
      const ringing = fork.run(phones, {
        offer,
        headers: {
          From: `<${party.uri}>`, To: `<sip:${to}@${call.tenant}>`,
          ...(opts.referredBy ? { 'Referred-By': opts.referredBy } : {}), ...opts.via?.headers,
        },
        onProvisional: () => undefined,
      });
      // after run(): a fork cancelled before it has branches would never settle
      run.onAbort(() => fork.cancel());
      const result = await ringing.finally(() => clearTimeout(timer));
      const dC = result.dialog;
      if (!dC) {
        status = noAnswer ? 480 : call.is('ended') ? 487 : result.status;
        throw new TransferError('failed', status, `${to} did not answer (${status})`);
      }
      const cGone = watchEnd(dC);
      if (call.is('ended') || !call.dialog(transferee)) {
        hangUp(dC);
        status = 487;
        throw new TransferError('failed', status, 'the transferee hung up while the target answered');
      }
      run.to('moving');
      const targetTag = dC.sip.remoteTag;
      try {
        await moveTransferee(media, { mediaCallId, transferee: dB, transfereeTag: call.tag(transferee), targetTag, targetSdp: dC.remote.sdp });
      } catch (err) {
        hangUp(dC);
        status = (err as { status?: number }).status ?? 500;
        throw err;
      }
      this.adoptTarget(call, transferor, dC, cGone, { user: to, tenant: call.tenant, uri: `sip:${to}@${call.tenant}`, callId: dC.sip.callId, tag: targetTag }, mediaCallId);
      run.to('done');
      log.info('call transferred', { to, transferee: party.user });
      await opts.progress?.final(200, 'OK');
      hangUp(left);
      return { status: 200 };
    } catch (err) {
      if (run.state !== 'failed') run.to('failed');
      log.info('transfer failed', { to, status, error: (err as Error).message });
      await media.delete({ callId: mediaCallId }).catch(() => undefined);
      // the transferor hears the outcome before it is given back its call (or hung up)
      await opts.progress?.final(status, reasonOf(status));
      this.giveBack(call, transferor, left);
      return { status };
    } finally {
      this.finish([call], run);
    }
  }

  /**
   * Attended transfer (RFC 5589 7; service example "Attended transfer"): the transferor
   * has two calls here; the party opposite it in `call` (the transferee) and the party
   * `target` of `consultation` are joined in `call`, and both of the transferor's legs
   * are released. The target is moved by a re-INVITE, then the transferee.
   */
  async attended(call: Call, transferor: Side, consultation: Call, target: Side, progress?: ReferProgress): Promise<TransferOutcome> {
    if (call === consultation) throw new TransferError('same-call', 400, 'a call cannot be transferred to itself');
    const run = this.begin([call, consultation], 'attended', consultation[target].user, 'moving');
    const { media, calls } = this.deps;
    const transferee = opposite(transferor);
    const mediaCallId = `tr-${call.id}-${randomBytes(3).toString('hex')}`;
    const log = call.log.child({ feature: 'transfer' });
    const left = calls.detach(call, transferor);
    const dC = calls.detach(consultation, target) as Srf.Dialog;
    const cGone = watchEnd(dC);
    const dB = call.dialog(transferee) as Srf.Dialog;
    const targetParty = { ...consultation[target] };
    let cMoved = false;
    let status = 500;
    try {
      void progress?.trying();
      const offer = await towardTarget(media, mediaCallId, call.tag(transferee), dB.remote.sdp);
      const answer = await modifyWithRetry(dC, offer);
      cMoved = true;
      if (call.is('ended') || !call.dialog(transferee)) {
        status = 487;
        throw new TransferError('failed', status, 'the transferee hung up');
      }
      await moveTransferee(media, { mediaCallId, transferee: dB, transfereeTag: call.tag(transferee), targetTag: targetParty.tag, targetSdp: answer });
      this.adoptTarget(call, transferor, dC, cGone, targetParty, mediaCallId);
      run.to('done');
      log.info('call transferred (attended)', { to: targetParty.user, transferee: call[transferee].user, consultation: consultation.id });
      await progress?.final(200, 'OK');
      hangUp(left);
      calls.hangup(consultation.id, 'transferred');
      return { status: 200 };
    } catch (err) {
      status = (err as { status?: number }).status ?? status;
      run.to('failed');
      log.info('attended transfer failed', { status, error: (err as Error).message });
      await media.delete({ callId: mediaCallId }).catch(() => undefined);
      if (cMoved) {
        // the target's media left its call: that call cannot go on as it was
        hangUp(dC);
        calls.hangup(consultation.id, 'transfer-failed');
      } else {
        this.giveBack(consultation, target, dC);
      }
      await progress?.final(status, reasonOf(status));
      this.giveBack(call, transferor, left);
      return { status };
    } finally {
      this.finish([call, consultation], run);
    }
  }

  /**
   * An INVITE with Replaces naming a confirmed leg of `call` (RFC 3891 3; service example
   * "Attended transfer", the transferee's INVITE to the target): the new caller takes the
   * leg's place, offered to the other party by a re-INVITE, and the replaced leg gets a
   * BYE. A re-INVITE the other party refuses leaves everything as it was, and the
   * INVITE gets that failure.
   */
  async replaceLeg(call: Call, side: Side, req: Srf.SrfRequest, res: Srf.SrfResponse, newcomer: { user: string; tenant: string }): Promise<void> {
    const other = opposite(side);
    const dO = call.dialog(other);
    if (!req.body) {
      respond(res, 488, 'Not Acceptable Here - SDP offer required');
      return;
    }
    if (!dO) {
      respond(res, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    let run: TransferRun;
    try {
      run = this.begin([call], 'attended', newcomer.user, 'moving');
    } catch (err) {
      const e = err as TransferError;
      respond(res, e.status === 491 ? 486 : e.status, e.status === 491 ? 'Busy Here - Being Transferred' : undefined);
      return;
    }
    const { media, calls } = this.deps;
    const mediaCallId = `tr-${call.id}-${randomBytes(3).toString('hex')}`;
    const tag = /;\s*tag=([^;\s]+)/.exec(req.get('From'))?.[1] ?? '';
    const replaced = calls.detach(call, side);
    const old = call.mediaCallId;
    try {
      const offer = await towardTarget(media, mediaCallId, tag, req.body);
      const answer = await modifyWithRetry(dO, offer);
      const back = await media.answer({ callId: mediaCallId, fromTag: tag, toTag: call.tag(other), sdp: answer });
      call.mediaCallId = mediaCallId;
      await answerInvite(this.deps.srf, req, res, back, (d) => calls.adopt(call, side, d, {
        user: newcomer.user, tenant: newcomer.tenant, uri: `sip:${newcomer.user}@${newcomer.tenant}`, callId: req.get('Call-ID'), tag,
      }));
      run.to('done');
      // a hold by the replaced party ends with it (music on hold lets go of the other party)
      calls.setHeld(call, side, false);
      await media.delete({ callId: old }).catch(() => undefined);
      // RFC 3891 3: the replaced dialog ends with a BYE once the new one is confirmed
      hangUp(replaced);
      call.log.info('leg replaced', { side, by: newcomer.user });
    } catch (err) {
      run.to('failed');
      const status = (err as { status?: number }).status;
      call.log.info('replacing a leg failed', { side, status, error: (err as Error).message });
      call.mediaCallId = old;
      await media.delete({ callId: mediaCallId }).catch(() => undefined);
      if (!res.finalResponseSent) respond(res, status && status >= 400 && status < 700 ? status : 500);
      this.giveBack(call, side, replaced);
    } finally {
      this.finish([call], run);
    }
  }

  /** The target's dialog takes the transferor's side of the call, in the new media session; the old session ends. */
  private adoptTarget(call: Call, side: Side, d: Srf.Dialog, gone: () => boolean, party: CallParty, mediaCallId: string): void {
    const old = call.mediaCallId;
    call.mediaCallId = mediaCallId;
    this.deps.calls.adopt(call, side, d, party);
    // the transferor's hold (if it held the transferee) ends with it: music on hold lets go
    this.deps.calls.setHeld(call, side, false);
    void this.deps.media.delete({ callId: old }).catch(() => undefined);
    // the target hung up while nobody of the call listened to its dialog
    if (gone()) this.deps.calls.hangup(call.id, `${side}-hangup`);
  }

  /** A failed transfer: the party that left is back in its call if it is still there, else the call ends. */
  private giveBack(call: Call, side: Side, d: Srf.Dialog | undefined): void {
    if (call.is('ended')) {
      hangUp(d);
      return;
    }
    if (d && isConnected(d)) {
      this.deps.calls.adopt(call, side, d, call[side]);
      return;
    }
    this.deps.calls.hangup(call.id, 'transfer-failed');
  }
}
