import { isIP } from 'node:net';

const MAX_VIA = 8192;

/** The Via values of a comma-joined Via header (commas inside quotes do not split). */
function vias(value: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

/** `received` of one Via value (RFC 3261 18.2.1), else its sent-by host; undefined if neither is an IP address. */
function viaAddress(via: string): string | undefined {
  const semi = via.indexOf(';');
  const params = semi < 0 ? [] : via.slice(semi + 1).split(';');
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'received') {
      const v = p.slice(eq + 1).trim().replace(/^\[/, '').replace(/\]$/, '');
      if (isIP(v)) return v;
    }
  }
  // "SIP/2.0/UDP host[:port]"
  const sentBy = (semi < 0 ? via : via.slice(0, semi)).trim().split(/\s+/)[1] ?? '';
  const host = sentBy.startsWith('[') ? sentBy.slice(1, sentBy.indexOf(']')) : sentBy.split(':')[0];
  return isIP(host) ? host : undefined;
}

/**
 * The address failed authentications are counted and bans enforced against: the packet's
 * source, except for a request relayed by a trusted edge proxy, from whose address every
 * phone behind it arrives (banning it would ban them all). There the phone's address is
 * the one the proxy recorded in the Via below its own (RFC 3261 18.2.1 `received`,
 * RFC 3581), which only a trusted proxy's word makes believable.
 */
export function clientAddress(source: string, via: string | undefined, trustedProxies: ReadonlySet<string>): string {
  if (!trustedProxies.has(source) || !via || via.length > MAX_VIA) return source;
  return viaAddress(vias(via)[1] ?? '') ?? source;
}
