import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { MixerError } from './mixer-error';

/**
 * The members' RTP ports: even ports of [portMin, portMax] (RFC 3550 11: RTP on an even
 * port; RTCP, on the odd one above, is neither bound nor used). Handed out round robin, so
 * a port just freed is the last to be reused and stray packets of a member that left do
 * not reach the next one. A port some other process holds is skipped.
 */
export class PortPool {
  private readonly first: number;
  private readonly count: number;
  private readonly taken = new Set<number>();
  /** index (0..count-1) of the next port to try */
  private cursor = 0;

  constructor(
    private readonly host: string,
    portMin: number,
    portMax: number,
    /** binds one UDP socket; injected for tests */
    private readonly bind: (host: string, port: number) => Promise<dgram.Socket> = bindUdp,
  ) {
    this.first = portMin + (portMin % 2);
    this.count = Math.max(0, Math.floor((portMax - this.first) / 2) + 1);
  }

  get size(): number {
    return this.count;
  }

  get inUse(): number {
    return this.taken.size;
  }

  /** Bind the next free even port; E_MIXER_PORTS_EXHAUSTED once every one has been tried. */
  async take(): Promise<{ sock: dgram.Socket; port: number }> {
    for (let tried = 0; tried < this.count; tried++) {
      const port = this.first + 2 * this.cursor;
      this.cursor = (this.cursor + 1) % this.count;
      if (this.taken.has(port)) continue;
      this.taken.add(port); // claimed before the await: concurrent takes never race for it
      try {
        return { sock: await this.bind(this.host, port), port };
      } catch (err) {
        this.taken.delete(port);
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' && code !== 'EACCES') {
          throw new MixerError('E_MIXER_CONFIG', `cannot bind ${this.host}:${port}: ${(err as Error).message}`);
        }
      }
    }
    const last = this.first + 2 * (this.count - 1);
    throw new MixerError('E_MIXER_PORTS_EXHAUSTED', `no free even RTP port in ${this.first}-${last} on ${this.host} (${this.taken.size} used by the mixer)`);
  }

  release(port: number): void {
    this.taken.delete(port);
  }
}

/** One exclusively bound UDP socket (no address reuse: two owners would split the packets). */
export async function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  const family = isIPv6(host) ? 6 : 4;
  const sock = dgram.createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    reuseAddr: false,
    // Remotes are IP literals of the host's family (checked on the way in), so skip
    // dns.lookup and its nextTick: the address goes straight to the kernel, and
    // connect() completes at once.
    lookup: (address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void) => cb(null, address, family),
  } as dgram.SocketOptions);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      sock.close();
      reject(err);
    };
    sock.once('error', onError);
    sock.bind({ port, address: host, exclusive: true }, () => {
      sock.off('error', onError);
      resolve();
    });
  });
  return sock;
}

export async function closeSocket(sock: dgram.Socket): Promise<void> {
  await new Promise<void>((resolve) => {
    try {
      sock.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
