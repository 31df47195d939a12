import type Srf from 'drachtio-srf';
import { hangUp } from '../sip/hang-up';
import { srfApp } from '../sip/srf-app';

/**
 * Answers an INVITE with 200 and `localSdp` (srf's createUAS), handing the new dialog to
 * `onDialog` in the same tick srf registers it, before srf reads the engine's next
 * message. The promise form of createUAS resumes its caller a microtask later, after
 * whatever arrived in the same read: a caller's ACK with a BYE or a re-INVITE right
 * behind it (RFC 3261 13.3.1.4: both are legal the moment the ACK is sent) met a
 * dialog with no listener, so the BYE was lost to the call and srf answered the
 * re-INVITE with our old SDP instead of relaying it. Resolves with the dialog too.
 *
 * srf calls back twice when a CANCEL reaches it after the 200 left (first 487, then the
 * dialog): the answer stands (RFC 3261 9.2: a CANCEL after the final response has no
 * effect), but this answer has already failed for its caller, so the dialog is hung up.
 */
export function answerInvite(srf: Srf, req: Srf.SrfRequest, res: Srf.SrfResponse, localSdp: string,
  onDialog: (dialog: Srf.Dialog) => void, headers?: Record<string, string>): Promise<Srf.Dialog> {
  return new Promise((resolve, reject) => {
    let settled = false;
    srfApp(srf).createUAS(req, res, { localSdp, ...(headers ? { headers } : {}) }, (err, dialog) => {
      if (settled) {
        hangUp(dialog);
        return;
      }
      settled = true;
      if (err || !dialog) {
        reject(err ?? new Error('createUAS gave no dialog'));
        return;
      }
      try {
        onDialog(dialog);
      } catch (e) {
        reject(e as Error);
        return;
      }
      resolve(dialog);
    });
  });
}
