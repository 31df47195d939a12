import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';

/** How a request leaves: the engine sends over UDP or TCP. */
export type DenyTransport = 'udp' | 'tcp';

/**
 * A `host:port` the engine must never send a request to: over `transport` only (a TCP
 * service such as Redis is not reached by a UDP datagram, and a phone whose UDP port
 * happens to have the same number must stay reachable), or over both when not given.
 */
export interface DeniedDestination {
  host: string;
  port: number;
  transport?: DenyTransport;
}

/** Thrown by the engine's resolver for a destination the policy refuses. */
export class DeniedDestinationError extends Error {
  constructor(readonly address: string, readonly port: number) {
    super(`destination ${address}:${port} is denied`);
    this.name = 'DeniedDestinationError';
  }
}

const MAX_ENTRY = 300;

/**
 * Parse `host:port[/udp|/tcp],[v6]:port,...` (the `--deny-destinations` option; without a
 * transport, both). Hand-written and linear: the last colon outside brackets separates
 * the port. Throws with a message that names the bad entry.
 */
export function parseDeniedDestinations(text: string): DeniedDestination[] {
  const out: DeniedDestination[] = [];
  for (const raw of text.split(',')) {
    let entry = raw.trim();
    if (entry === '') continue;
    if (entry.length > MAX_ENTRY) throw new Error(`deny destination too long: ${entry.slice(0, 40)}...`);
    const suffix = /\/(udp|tcp)$/i.exec(entry);
    const transport = suffix ? (suffix[1].toLowerCase() as DenyTransport) : undefined;
    if (suffix) entry = entry.slice(0, -suffix[0].length);
    const colon = entry.lastIndexOf(':');
    if (colon <= 0) throw new Error(`deny destination must be host:port, got '${entry}'`);
    let host = entry.slice(0, colon);
    const portText = entry.slice(colon + 1);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    else if (host.includes(':')) throw new Error(`write an IPv6 deny destination as [addr]:port, got '${entry}'`);
    const port = Number(portText);
    if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) throw new Error(`bad port in deny destination '${entry}'`);
    out.push(transport ? { host, port, transport } : { host, port });
  }
  return out;
}

function family(address: string): 'ipv4' | 'ipv6' {
  return net.isIPv4(address) ? 'ipv4' : 'ipv6';
}

/**
 * Where the engine may send requests. It is not an open relay to the services beside it
 * (issue #13: a relayed MESSAGE over TCP to Redis had its body executed): its own admin
 * and HTTP ports and every port given at start are refused.
 *
 * Addresses are compared after resolution and through net.BlockList, so spelling does not
 * matter (`127.1`, `0x7f.1`, `::ffff:127.0.0.1`, `0:0:0:0:0:0:0:1` are all loopback). An
 * entry on one of this host's addresses (loopback, unspecified, `localhost`, the listen and
 * advertised addresses, any interface address) stands for the port on every one of them:
 * a service bound to 0.0.0.0 answers on all, and a request to any of them reaches it.
 */
export class DestinationPolicy {
  /** this host, in every spelling that reaches it */
  private readonly self = new net.BlockList();
  /** per transport: ports refused on any of this host's addresses */
  private readonly selfPorts: Record<DenyTransport, Set<number>> = { udp: new Set(), tcp: new Set() };
  /** per transport: ports refused on other hosts' addresses */
  private readonly remote: Record<DenyTransport, Map<number, net.BlockList>> = { udp: new Map(), tcp: new Map() };

  private constructor() {
    this.self.addSubnet('127.0.0.0', 8, 'ipv4');
    this.self.addAddress('0.0.0.0', 'ipv4');
    this.self.addAddress('::1', 'ipv6');
    this.self.addAddress('::', 'ipv6');
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) this.self.addAddress(a.address.split('%')[0], family(a.address));
    }
  }

  /** Resolves names now (a deny list that cannot be resolved is a start-up error). */
  static async create(ownAddresses: string[], denied: DeniedDestination[]): Promise<DestinationPolicy> {
    const p = new DestinationPolicy();
    for (const host of ownAddresses) {
      for (const a of await addressesOf(host)) p.self.addAddress(a, family(a));
    }
    for (const d of denied) {
      for (const a of await addressesOf(d.host)) p.add(a, d.port, d.transport);
    }
    return p;
  }

  /** Refuse `port` at an already-resolved address (an IP literal), over `transport` or both. */
  add(address: string, port: number, transport?: DenyTransport): void {
    for (const t of transport ? [transport] : (['udp', 'tcp'] as const)) {
      if (this.isSelf(address)) {
        this.selfPorts[t].add(port);
        continue;
      }
      let list = this.remote[t].get(port);
      if (!list) this.remote[t].set(port, (list = new net.BlockList()));
      list.addAddress(address, family(address));
    }
  }

  /** Refuse `port` on every address of this host (the engine's own admin and HTTP ports: TCP). */
  addOwnPort(port: number, transport: DenyTransport = 'tcp'): void {
    this.selfPorts[transport].add(port);
  }

  denies(address: string, port: number, transport: DenyTransport): boolean {
    if (!net.isIP(address)) return true; // only resolved addresses are ever sent to
    if (this.selfPorts[transport].has(port) && this.isSelf(address)) return true;
    return this.remote[transport].get(port)?.check(address, family(address)) ?? false;
  }

  private isSelf(address: string): boolean {
    return this.self.check(address, family(address));
  }
}

async function addressesOf(host: string): Promise<string[]> {
  if (net.isIP(host)) return [host];
  const all = await dns.lookup(host, { all: true });
  return all.map((a) => a.address);
}
