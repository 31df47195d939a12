import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import { hangUp } from '../sip/hang-up';
import { lastSentSdp } from '../sip/sdp-origin';
import type { Call, Side } from './call';
import { resumeCseq, resumeDialog, snapshotOf } from './dialog-snapshot';

/*
 * The SIP engine restarted under live calls (issue #14: kill -9 of the engine): srf
 * reconnects, but the new engine knows none of the dialogs the old one held, so a BYE
 * or re-INVITE from either side, or ours (a retrieve of a parked call), finds nothing
 * and fails; the calls' media, in rtpengine, flows on. Each dialog of each answered call
 * is continued on the new engine the way another instance takes over a parked call
 * (dialog-snapshot.ts `resumeDialog`): an INVITE inside the old dialog, offering the
 * SDP we last sent (RFC 3264 8: same o=, version + 1), at a CSeq far above the old
 * engine's (RFC 3261 12.2.1.1). Its Contact is a target refresh (RFC 3261 12.2.1.2), so
 * the party's next requests reach the new engine's dialog. A call with a dialog that
 * cannot be continued is hung up.
 */

export interface DialogRebindDeps {
  srf: Srf;
  /** the live calls of this instance */
  calls(): Call[];
  /** the dialog takes the side of the call (CallManager.adopt) */
  adopt(call: Call, side: Side, dialog: Srf.Dialog): void;
  hangup(id: string, reason: string): void;
  logger: Logger;
  /** calls continued at once, default 8 */
  concurrency?: number;
}

export interface RebindReport {
  rebound: number;
  ended: number;
  ms: number;
}

export async function rebindDialogs(deps: DialogRebindDeps): Promise<RebindReport> {
  const started = Date.now();
  const report: RebindReport = { rebound: 0, ended: 0, ms: 0 };
  const queue = deps.calls().filter((c) => c.is('answered'));
  const worker = async (): Promise<void> => {
    for (let call = queue.shift(); call; call = queue.shift()) {
      try {
        for (const side of ['caller', 'callee'] as const) {
          const d = call.dialog(side);
          const sdp = d ? lastSentSdp(d) : undefined;
          if (!d || !sdp) continue;
          const snap = snapshotOf(d);
          const resumed = await resumeDialog(deps.srf, snap, sdp, resumeCseq(snap.cseq));
          if (call.dialog(side) !== d || !call.is('answered')) {
            hangUp(resumed);
            continue;
          }
          deps.adopt(call, side, resumed);
        }
        report.rebound++;
      } catch (err) {
        call.log.warn('dialog not continued after a SIP engine restart: hanging up', { error: (err as Error).message });
        deps.hangup(call.id, 'engine-restart');
        report.ended++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(queue.length, deps.concurrency ?? 8) }, worker));
  report.ms = Date.now() - started;
  deps.logger.warn('SIP engine restart: live dialogs continued on the new engine', { ...report });
  return report;
}
