import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import net from 'node:net';

const handedOut = new Set<number>();

/** Whether a TCP listener can bind this port on 127.0.0.1 now. */
export function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Whether a UDP socket can bind this port on 127.0.0.1 now (exclusively: no shared binding counts as free). */
export function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ port, address: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A port the kernel picks from its ephemeral range (clear of media port ranges set below it). */
function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * A port free on 127.0.0.1 for the given transports, never one handed out before in this
 * process; `ephemeral` takes it from the kernel's ephemeral range (benchmarks whose
 * rtpengine uses 20000-31999).
 */
export async function freePort(kind: 'udp' | 'tcp' | 'both' = 'both', opts: { ephemeral?: boolean } = {}): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = opts.ephemeral ? await ephemeralPort() : 20000 + Math.floor(Math.random() * 30000);
    if (handedOut.has(port)) continue;
    const ok = (kind === 'udp' || (await tcpFree(port))) && (kind === 'tcp' || (await udpFree(port)));
    if (ok) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found');
}

/**
 * Whether a socket is bound to this port on 127.0.0.1 or 0.0.0.0 (TCP: listening), read
 * from /proc/net/{udp,tcp} without touching the port; null where /proc is unavailable.
 */
async function boundPerProc(proto: 'udp' | 'tcp', port: number): Promise<boolean | null> {
  let table: string;
  try {
    table = await readFile(`/proc/net/${proto}`, 'utf8');
  } catch {
    return null;
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const [addr, p] = (cols[1] ?? '').split(':');
    if (p !== hexPort || (addr !== '0100007F' && addr !== '00000000')) continue;
    if (proto === 'udp' || cols[3] === '0A') return true; // 0A: TCP_LISTEN
  }
  return false;
}

async function waitBound(proto: 'udp' | 'tcp', port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    // Probing by binding the port ourselves (the fallback) can, for an instant, take it
    // from the process that is starting up; /proc does not.
    const bound = (await boundPerProc(proto, port)) ?? !(await (proto === 'udp' ? udpFree(port) : tcpFree(port)));
    if (bound) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing bound ${proto} port ${port} within ${timeoutMs} ms`);
}

/** Resolves once something has bound this UDP port (sipp gives no ready signal). */
export function waitUdpBound(port: number, timeoutMs = 5000): Promise<void> {
  return waitBound('udp', port, timeoutMs);
}

/** Resolves once something listens on this TCP port (a sipp UAS started with -t t1). */
export function waitTcpListening(port: number, timeoutMs = 5000): Promise<void> {
  return waitBound('tcp', port, timeoutMs);
}

/** Whether something accepts a TCP connection on this loopback port now. */
export function connectable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
