import dgram from 'node:dgram';
import { MediaError } from './media-error';

/*
 * Why blocks and a held sentinel port, rather than "pick a range":
 * rtpengine 10.5 binds its media and ng sockets with address reuse, so a second rtpengine
 * given an overlapping range (or the same ng port) binds the same ports without error and
 * the kernel splits the packets between the two (observed: two instances both bound
 * 127.0.0.1:41000). Distinct ranges must therefore be guaranteed by us, across processes
 * too (test files, other developers' runs). Each block's last port is the lock: we bind it
 * exclusively and hold it for the instance's life, so it is released even if we crash.
 *
 * The pool lies below Linux's ephemeral range (32768-60999), where random port-0 binds
 * (test endpoints, clients) never land.
 */
const POOL_FIRST = 10000;
const POOL_LAST = 19999;
const BLOCK_SIZE = 200;

export interface PortBlock {
  /** rtpengine's media range: even start, odd end, so RTP/RTCP pairs stay inside (RFC 3550 11) */
  portMin: number;
  portMax: number;
  /** a port of the block kept free for rtpengine's ng socket */
  ngPort: number;
  release(): Promise<void>;
}

/** Bind a UDP port exclusively; the socket, or null if something holds the port. */
export async function bindExclusive(port: number, address: string): Promise<dgram.Socket | null> {
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ port, address, exclusive: true }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
  } catch {
    sock.close();
    return null;
  }
  sock.unref();
  return sock;
}

/** True if no socket holds this UDP port on this address (checked by binding it for an instant). */
export async function udpPortFree(port: number, address: string): Promise<boolean> {
  const sock = await bindExclusive(port, address);
  if (!sock) return false;
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return true;
}

/** A UDP port the kernel reports free on this address now. */
export async function freeUdpPort(address: string): Promise<number> {
  const sock = await bindExclusive(0, address);
  if (!sock) throw new MediaError('E_RTPENGINE_CONFIG', `cannot bind a UDP port on ${address}`);
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

/** Lock a block of ports no other rtpengine started through here uses; starts at a random block. */
export async function claimPortBlock(address: string): Promise<PortBlock> {
  const blocks = Math.floor((POOL_LAST - POOL_FIRST + 1) / BLOCK_SIZE);
  const first = Math.floor(Math.random() * blocks);
  for (let i = 0; i < blocks; i++) {
    const start = POOL_FIRST + ((first + i) % blocks) * BLOCK_SIZE;
    const lock = await bindExclusive(start + BLOCK_SIZE - 1, address);
    if (!lock) continue;
    const ngPort = start + BLOCK_SIZE - 2;
    if (!(await udpPortFree(ngPort, address))) {
      lock.close();
      continue;
    }
    return {
      portMin: start,
      portMax: start + BLOCK_SIZE - 3,
      ngPort,
      release: () => new Promise<void>((resolve) => lock.close(() => resolve())),
    };
  }
  throw new MediaError('E_RTPENGINE_CONFIG', `no free port block of ${BLOCK_SIZE} in ${POOL_FIRST}-${POOL_LAST} on ${address}`);
}
