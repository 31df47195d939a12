import type Srf from 'drachtio-srf';
import { hangUp } from '../sip/hang-up';
import { respond } from '../sip/respond';
import { opposite, type Call, type Side } from './call';
import type { CallHost } from './call-host';
import { relayOffers } from './reinvite-relay';

/** Everything a party's dialog can bring: BYE, offers, REFER, INFO. */
export function wireParty(host: CallHost, call: Call, side: Side, d: Srf.Dialog): void {
  d.on('destroy', () => {
    if (call.dialog(side) !== d) return;
    call.setDialog(side, undefined);
    hangUp(call.dialog(opposite(side)));
    void host.end(call, `${side}-hangup`);
  });
  relayOffers(call, side, d, host.media, host.interceptors, {
    held: (s) => host.changed(call, (l) => l.onHeld?.(call, s)),
    resumed: (s) => host.changed(call, (l) => l.onResumed?.(call, s)),
  });
  d.on('refer', async (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    for (const l of host.listeners) {
      if (l.onRefer && (await l.onRefer(call, side, req, res))) return;
    }
    // RFC 3515 2.4.2: no transfer service on this call
    respond(res, 603, 'Decline - Transfer Not Available');
  });
  d.on('info', async (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    // DTMF and other INFO (RFC 6086) pass through to the other party
    const other = call.dialog(opposite(side));
    if (!other) {
      res.send(200);
      return;
    }
    try {
      const headers: Record<string, string> = {};
      if (req.has('Content-Type')) headers['Content-Type'] = req.get('Content-Type');
      const r = await other.request({ method: 'INFO', headers, body: req.body });
      res.send(r.status);
    } catch {
      res.send(500);
    }
  });
}
