import type Srf from 'drachtio-srf';
import { respond } from '../sip/respond';

/**
 * A REFER in a dialog that left its call (a conference member's seat, a parker hearing
 * its slot, a transferor being released) that its new owner does not take: srf would
 * answer it 200 and nothing would happen, so the phone would think it transferred. It is
 * refused instead (RFC 3515 2.4.2: a REFER that cannot be carried out gets a final
 * failure), saying why. Silent while another listener (the new owner, or the call again
 * after `adopt`) takes REFERs in the dialog.
 */
export function refuseStrayRefers(d: Srf.Dialog): void {
  const refuser = (_req: Srf.SrfRequest, res: Srf.SrfResponse): void => {
    if (d.listenerCount('refer') > 1) return;
    respond(res, 403, 'Forbidden - Not Transferable Here', { Warning: '399 feature-server "the dialog is no longer part of a two-party call (conference, park)"' });
  };
  d.on('refer', refuser);
}
