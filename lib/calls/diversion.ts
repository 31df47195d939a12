/** Why a call left a user for another (the reasons of RFC 4458 and RFC 5806). */
export type DiversionCause = 'unconditional' | 'busy' | 'noAnswer' | 'unreachable' | 'dnd';

/** RFC 4458 2: the cause a retargeted Request-URI carries, as a SIP status. */
const CAUSE_CODE: Record<DiversionCause, number> = { unconditional: 302, busy: 486, noAnswer: 408, unreachable: 404, dnd: 486 };
/** RFC 5806 4: the Diversion reason tokens. */
const DIVERSION_REASON: Record<DiversionCause, string> = {
  unconditional: 'unconditional', busy: 'user-busy', noAnswer: 'no-answer', unreachable: 'unavailable', dnd: 'do-not-disturb',
};

/** One hop of a diverted call: the user left, and why. */
export interface Hop {
  user: string;
  cause: DiversionCause;
}

/**
 * The headers a diverted call's INVITE carries: History-Info (RFC 7044) with one entry
 * per user of the chain, the first being the dialed one, each retargeted entry with the
 * RFC 4458 `cause` and `mp` naming the entry it came from, the entry left with its Reason
 * (RFC 7044 9.1, escaped as a URI header); and Diversion (RFC 5806, for gateways that
 * still want it), most recent first, one diversion each. `users[0]` is the dialed user and
 * `hops[i]` took the call from users[i] to users[i+1].
 */
export function diversionHeaders(tenant: string, users: readonly string[], hops: readonly Hop[]): Record<string, string> {
  if (hops.length === 0) return {};
  const history: string[] = [];
  let index = '1';
  for (let i = 0; i < users.length; i++) {
    const left = hops[i];
    const params = i > 0 ? `;cause=${CAUSE_CODE[hops[i - 1].cause]}` : '';
    const reason = left ? `?Reason=SIP%3Bcause%3D${CAUSE_CODE[left.cause]}` : '';
    const parent = index.slice(0, index.lastIndexOf('.'));
    history.push(`<sip:${users[i]}@${tenant}${params}${reason}>;index=${index}${i > 0 ? `;mp=${parent}` : ''}`);
    index = `${index}.1`;
  }
  const diversion = hops.map((h) => `<sip:${h.user}@${tenant}>;reason=${DIVERSION_REASON[h.cause]};counter=1`).reverse();
  return { 'History-Info': history.join(', '), Diversion: diversion.join(', ') };
}
