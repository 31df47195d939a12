import { withDirection } from '../../lib/sip/hold';

/**
 * The answer a holder gets when the server answers its hold itself (RFC 3264 8.4):
 * the held party's last SDP, its direction turned to the answer of the hold offer
 * (sendonly -> recvonly, inactive -> inactive) and its o= version moved on, since
 * the description changed (RFC 3264 8).
 */
export function holdAnswer(lastSdp: string, offer: string): string {
  const sdp = withDirection(lastSdp, /^a=inactive/m.test(offer) ? 'inactive' : 'recvonly');
  return sdp.replace(/^(o=\S+ \S+ )(\d+)/m, (_m, head: string, v: string) => `${head}${BigInt(v) + 1n}`);
}
