import dgram from 'node:dgram';
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Test port map (loopback). A port a test picks as free must stay free until the test binds
 * it, so it is drawn from ranges nothing else takes on its own:
 *   10000-19999  rtpengine media blocks (lib/media/port-block.ts)
 *   20000-31999  benchmarks' rtpengine media (they take ports with `ephemeral`)
 *   21000-31039  conference mixers started by tests (test/integration/conference/tone-peer.ts)
 *   31100-32767  free ports (below), clipped to end below the kernel's ephemeral range
 *   32768-60999  the kernel's ephemeral range (Linux default; read from /proc): any outgoing
 *                connection or port-0 bind, of this suite or one running beside it, can take
 *                a port there between our check and our bind (seen as EADDRINUSE under load)
 *   61000-64999  baresip media (test/support/baresip.ts)
 *   65000-65535  free ports (below)
 */
const FREE_RANGES: ReadonlyArray<readonly [number, number]> = [[31100, 32767], [65000, 65535]];

/** The kernel's ephemeral port range, or Linux's default where /proc does not say. */
export function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi) return [lo, hi];
  } catch {
    // not Linux: assume its default
  }
  return [32768, 60999];
}

/** The candidate ports: the free ranges minus the ephemeral range. */
function candidatePorts(): number[] {
  const [elo, ehi] = ephemeralRange();
  const out: number[] = [];
  for (const [lo, hi] of FREE_RANGES) for (let p = lo; p <= hi; p++) if (p < elo || p > ehi) out.push(p);
  // A kernel whose ephemeral range covers them all leaves no safe choice: take them anyway.
  if (out.length < 100) for (const [lo, hi] of FREE_RANGES) for (let p = lo; p <= hi; p++) out.push(p);
  return out;
}

const CANDIDATES = candidatePorts();
/**
 * Ports handed out, oldest first. A port is not handed out again while it is among the
 * newest RECENT ones; older ones have long been released by the tests that took them.
 */
const handedOut = new Set<number>();
const RECENT = Math.floor(CANDIDATES.length / 2);

function remember(port: number): void {
  handedOut.add(port);
  if (handedOut.size > RECENT) handedOut.delete(handedOut.values().next().value as number);
}

/*
 * Reservations across processes. Two suites on one machine draw from the same ranges, and
 * `handedOut` only knows this process: the other suite could hand out the same port, or
 * probe it (a bind for an instant) just as this one binds it for good (seen as EADDRINUSE
 * with two suites side by side). So every port handed out is first claimed by creating
 * <tmpdir>/feature-server-test-ports-<uid>/<port> exclusively, holding the owner's pid.
 * Another process's claim stands while that pid lives, for HOLD_MS: long enough for the
 * owner to bind it (after that a bound port fails the bind check anyway), short enough
 * that two long suites cannot use up the ranges between them. This process's own claims
 * follow `handedOut`. Claims are removed when the process exits; one left by a kill -9
 * is stale as soon as its pid is gone.
 */
const RESERVATIONS = join(tmpdir(), `feature-server-test-ports-${process.getuid?.() ?? 'user'}`);
export const HOLD_MS = 5 * 60_000;
const claimed = new Set<number>();
let reservationsReady = false;

function reservationFile(port: number): string {
  if (!reservationsReady) {
    mkdirSync(RESERVATIONS, { recursive: true, mode: 0o700 });
    process.once('exit', releaseAll);
    reservationsReady = true;
  }
  return join(RESERVATIONS, String(port));
}

function ownerOf(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether an existing claim no longer stands (its owner is gone, or it is old). */
function stale(file: string, port: number): boolean {
  const owner = ownerOf(file);
  if (owner === process.pid) return !handedOut.has(port);
  let ageMs: number;
  try {
    ageMs = Date.now() - statSync(file).mtimeMs;
  } catch {
    return true; // removed meanwhile
  }
  if (ageMs > HOLD_MS) return true;
  // A claim being written has no pid yet for an instant: it stands.
  return owner !== null && !alive(owner);
}

/**
 * Claims a port for this process across processes; false if another process holds it.
 * (Two processes that find the same stale claim at the same instant can both take it
 * over; the bind check after the claim still stands between them.)
 */
export function claimPort(port: number): boolean {
  const file = reservationFile(port);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      claimed.add(port);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!stale(file, port)) return false;
    try {
      unlinkSync(file);
    } catch {
      // removed by someone else meanwhile: try to create it again
    }
  }
  return false;
}

/** Drops this process's claim on a port (a claimed port that turned out to be in use). */
export function releasePort(port: number): void {
  if (!claimed.delete(port)) return;
  const file = join(RESERVATIONS, String(port));
  if (ownerOf(file) === process.pid) {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
}

function releaseAll(): void {
  for (const port of [...claimed]) releasePort(port);
}

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
 * A port free on 127.0.0.1 for the given transports, outside the kernel's ephemeral range,
 * not handed out recently in this process and not claimed by another (`claimPort`); `ephemeral` takes it from the kernel's
 * ephemeral range instead (benchmarks whose rtpengine uses 20000-31999); `nextTcp` also
 * wants port + 1 free on TCP (baresip listens for SIP over TLS there, and failed to start
 * once when another process held it).
 */
export async function freePort(kind: 'udp' | 'tcp' | 'both' = 'both', opts: { ephemeral?: boolean; nextTcp?: boolean } = {}): Promise<number> {
  const skipped = { recent: 0, claimed: 0, inUse: 0 };
  for (let i = 0; i < 200; i++) {
    const port = opts.ephemeral ? await ephemeralPort() : CANDIDATES[Math.floor(Math.random() * CANDIDATES.length)];
    if (handedOut.has(port) || (opts.nextTcp && (port >= 65535 || handedOut.has(port + 1)))) {
      skipped.recent++;
      continue;
    }
    // Claim before probing: a probe binds the port for an instant, which must not happen to
    // a port another suite has handed out and is about to bind.
    if (!claimPort(port)) {
      skipped.claimed++;
      continue;
    }
    if (opts.nextTcp && !claimPort(port + 1)) {
      releasePort(port);
      skipped.claimed++;
      continue;
    }
    const ok = (kind === 'udp' || (await tcpFree(port))) && (kind === 'tcp' || (await udpFree(port)))
      && (!opts.nextTcp || (await tcpFree(port + 1)));
    if (ok) {
      remember(port);
      if (opts.nextTcp) remember(port + 1);
      return port;
    }
    releasePort(port);
    if (opts.nextTcp) releasePort(port + 1);
    skipped.inUse++;
  }
  throw new Error(`no free port found in 200 picks: ${skipped.recent} handed out here recently, ${skipped.claimed} claimed by other processes, ${skipped.inUse} in use`);
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
