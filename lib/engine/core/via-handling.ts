import type { Peer } from '../transport/types';
import { formatVia, parseVia, type Via } from '../sip/via';
import type { SipMessage } from '../sip/message';

/**
 * RFC 3261 18.2.1 and RFC 3581 4: stamp the top Via with where the request really came
 * from, so responses find their way back through NAT. Returns the parsed top Via or
 * null when there is none usable.
 */
export function stampReceived(msg: SipMessage, peer: Peer): Via | null {
  const top = msg.get('via');
  if (!top) return null;
  const via = parseVia(top);
  if (!via) return null;
  const rport = via.params.has('rport');
  if (via.host !== peer.address || rport) via.params.set('received', peer.address);
  if (rport) via.params.set('rport', String(peer.port));
  if (via.host !== peer.address || rport) msg.replaceFirst('via', formatVia(via));
  return via;
}

/**
 * Where a response goes (RFC 3261 18.2.2): back over the same connection for streams;
 * for UDP to the received address, at rport if the client asked for it (RFC 3581),
 * otherwise at the sent-by port.
 */
export function responseDestination(via: Via, source: Peer): Peer {
  if (source.transport !== 'udp') return source;
  const rport = via.params.get('rport');
  const port = rport ? Number(rport) : via.port ?? 5060;
  return { transport: 'udp', address: source.address, port };
}
