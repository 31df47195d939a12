import type { ForkTarget } from '../calls/outbound-fork';
import { parseAddress } from '../sip/addresses';
import type { Binding } from '../store';

/**
 * A registered contact as a fork target. When the REGISTER came from somewhere other
 * than the contact's own host:port (NAT), the request goes there: the address the
 * phone keeps open (RFC 5626's idea, without outbound's flow tokens).
 */
export function contactTarget(b: Binding): ForkTarget {
  const m = b.received ? /^(udp|tcp|tls|ws|wss):(.+):(\d+)$/.exec(b.received) : null;
  const contact = parseAddress(`<${b.contact}>`);
  if (!m || !contact) return { uri: b.contact };
  const [, proto, addr, port] = m;
  if (contact.host === addr && (contact.port ?? 5060) === Number(port)) return { uri: b.contact };
  const host = addr.includes(':') ? `[${addr}]` : addr;
  return { uri: b.contact, proxy: `sip:${host}:${port};transport=${proto === 'udp' ? 'udp' : 'tcp'}` };
}
