import { SipMessage as Msg, type SipMessage } from './message';
import { tagOf } from './name-addr';

const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 408: 'Request Timeout', 415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme',
  420: 'Bad Extension', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected', 483: 'Too Many Hops', 486: 'Busy Here', 487: 'Request Terminated',
  488: 'Not Acceptable Here', 491: 'Request Pending', 500: 'Server Internal Error', 501: 'Not Implemented',
  503: 'Service Unavailable', 505: 'Version Not Supported', 603: 'Decline',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 200 ? 'Progress' : status < 300 ? 'OK' : 'Error');
}

/**
 * A response built from the request as RFC 3261 8.2.6.2 says: same Via values in order,
 * From, Call-ID and CSeq; To with the tag this UAS chose (none on 100).
 */
export function responseTo(req: SipMessage, status: number, toTag?: string, reason?: string): SipMessage {
  const res = Msg.response(status, reason ?? reasonPhrase(status));
  for (const h of req.headers) {
    if (h.key === 'via') res.headers.push({ ...h });
  }
  // a request missing some of these (RFC 4475 insuf) still gets an answer with the rest
  const from = req.get('from');
  if (from !== undefined) res.append('From', from);
  const to = req.get('to');
  if (to !== undefined) res.append('To', toTag && status > 100 && !tagOf(to) ? `${to};tag=${toTag}` : to);
  if (req.has('call-id')) res.append('Call-ID', req.callId);
  const cseq = req.get('cseq');
  if (cseq !== undefined) res.append('CSeq', cseq);
  return res;
}
