import type { Logger } from 'winston';
import type { MediaAnchor } from '../media';
import type { Call } from './call';
import { modifyWithRetry } from './modify';

/*
 * rtpengine restarted (issue #14): it holds none of the media sessions it had, so every
 * live call's RTP goes to ports nobody listens on. MEDIA_RESTART says what happens then:
 *
 * - `reanchor`: each answered call with both parties is anchored again on the new
 *   rtpengine from what each party last sent (its dialog's remote SDP): the caller's SDP
 *   as an `offer`, the result to the callee in a re-INVITE, the callee's answer through
 *   `answer`, the result to the caller in a re-INVITE. RFC 3264 8: each re-INVITE is a
 *   new offer in the same session, so it keeps the o= line we use on that dialog with the
 *   version one up (modify() stamps it, lib/sip/sdp-origin). The caller's answer to the
 *   last re-INVITE is not fed back: rtpengine already has the caller's address from the
 *   offer, and a phone answers a re-INVITE from the address it already uses.
 * - `hangup`: both legs get BYE and the call is ended (its record removed), as a
 *   hang-up by REST.
 *
 * A call whose party is on a media server (music on hold, a parked call: one dialog, or a
 * second rtpengine session the feature owns) cannot be rebuilt from the call alone; a
 * feature that can rebuild its own may say so (`handle`), else it is ended cleanly.
 */

export type MediaRestartPolicy = 'reanchor' | 'hangup';

/** A feature's chance to rebuild the media of a call it has moved (music, park); true when it did. */
export type MediaRestartHandler = (call: Call) => Promise<boolean>;

export interface MediaReanchorDeps {
  /** the live calls of this instance */
  calls(): Call[];
  /** hangs up both legs and ends the call (BYE, record removed) */
  hangup(id: string, reason: string): void;
  media: MediaAnchor;
  policy: MediaRestartPolicy;
  logger: Logger;
  /** calls re-anchored at once, default 8 (each is two re-INVITEs) */
  concurrency?: number;
}

export interface ReanchorReport {
  reanchored: string[];
  ended: string[];
  /** not answered yet: their set-up fails or succeeds on its own (the answer meets the new rtpengine) */
  skipped: string[];
  ms: number;
}

/** What a call needs on a restart, decided from the call alone (unit-tested). */
export function restartAction(call: Call, policy: MediaRestartPolicy): 'skip' | 'hangup' | 'reanchor' | 'ask' {
  if (!call.is('answered')) return 'skip';
  if (policy === 'hangup') return 'hangup';
  // a party alone (parked, its partner released), or one on music: the call's own session is not all of its media
  if (!call.uas || !call.uac || Object.keys(call.held).length > 0) return 'ask';
  return 'reanchor';
}

export class MediaReanchor {
  private readonly handlers: MediaRestartHandler[] = [];
  private running: Promise<ReanchorReport> | undefined;
  private again = false;

  constructor(private readonly deps: MediaReanchorDeps) {}

  /** A feature rebuilds the calls it moved to a media server (see MediaRestartHandler). */
  handle(h: MediaRestartHandler): () => void {
    this.handlers.push(h);
    return () => {
      const i = this.handlers.indexOf(h);
      if (i !== -1) this.handlers.splice(i, 1);
    };
  }

  /**
   * rtpengine restarted: every live call is re-anchored or ended. A restart reported
   * while one is being handled runs once more after it (the second rtpengine lost what
   * the first pass built).
   */
  restarted(): Promise<ReanchorReport> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<ReanchorReport> => {
      let report: ReanchorReport;
      do {
        this.again = false;
        report = await this.pass();
      } while (this.again);
      return report;
    };
    this.running = run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<ReanchorReport> {
    const started = Date.now();
    const report: ReanchorReport = { reanchored: [], ended: [], skipped: [], ms: 0 };
    const queue = [...this.deps.calls()];
    const worker = async (): Promise<void> => {
      for (let call = queue.shift(); call; call = queue.shift()) {
        const outcome = await this.one(call);
        report[outcome].push(call.id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(queue.length, this.deps.concurrency ?? 8) }, worker));
    report.ms = Date.now() - started;
    this.deps.logger.warn('media restart handled', { policy: this.deps.policy, reanchored: report.reanchored.length,
      ended: report.ended.length, skipped: report.skipped.length, ms: report.ms });
    return report;
  }

  private async one(call: Call): Promise<'reanchored' | 'ended' | 'skipped'> {
    const action = restartAction(call, this.deps.policy);
    if (action === 'skip') return 'skipped';
    try {
      if (action === 'reanchor') {
        await reanchorCall(this.deps.media, call);
        call.log.info('media re-anchored after an rtpengine restart');
        return 'reanchored';
      }
      if (action === 'ask') {
        for (const h of this.handlers) if (await h(call)) return 'reanchored';
      }
    } catch (err) {
      call.log.warn('media not re-anchored after an rtpengine restart: hanging up', { error: (err as Error).message });
    }
    if (call.is('ended')) return 'ended';
    this.deps.hangup(call.id, 'media-restart');
    return 'ended';
  }
}

/**
 * Offer/answer again on a new rtpengine from what each party last sent, then a re-INVITE
 * to each party with what rtpengine made of the other's (RFC 3264 8; see above). Throws
 * when a party refuses or a dialog ends meanwhile.
 */
export async function reanchorCall(media: MediaAnchor, call: Call): Promise<void> {
  const uas = call.uas;
  const uac = call.uac;
  const callerSdp = uas?.remote.sdp;
  const calleeSdp = uac?.remote.sdp;
  if (!uas || !uac || !callerSdp || !calleeSdp) throw new Error('a party has no dialog or no SDP');
  const p = { callId: call.mediaCallId, fromTag: call.caller.tag, toTag: call.callee.tag };
  const toCallee = await media.offer({ ...p, sdp: callerSdp });
  const calleeAnswer = await modifyWithRetry(uac, toCallee);
  const toCaller = await media.answer({ ...p, sdp: calleeAnswer });
  if (call.uas !== uas || call.uac !== uac) throw new Error('the call changed while it was re-anchored');
  await modifyWithRetry(uas, toCaller);
}
