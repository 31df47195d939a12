import type Srf from 'drachtio-srf';
import { parseAddress, type SipAddress } from '../sip/addresses';
import { respond } from '../sip/respond';

/** Who sends a new request, and to whom; undefined after answering 400 when either is unreadable. */
export function requestParties(req: Srf.SrfRequest, res: Srf.SrfResponse): { from: SipAddress; ruri: SipAddress } | undefined {
  const from = parseAddress(req.get('From'));
  const ruri = parseAddress(req.uri);
  if (!from || !ruri) {
    respond(res, 400, 'Bad Request - unreadable From or Request-URI');
    return undefined;
  }
  return { from, ruri };
}
