import dgram from 'node:dgram';
import net from 'node:net';
import type { LocalAddress, Peer, Transport, TransportEvents } from './types';

/** RFC 3261 18: one datagram, one message. The size limit guards the parser. */
export class UdpTransport implements Transport {
  readonly name = 'udp' as const;
  private constructor(private readonly socket: dgram.Socket, readonly local: LocalAddress) {}

  static async listen(address: string, port: number, maxMessage: number, events: TransportEvents): Promise<UdpTransport> {
    const socket = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => { /* ICMP errors on send: nothing to do, the transaction times out */ });
    socket.on('message', (buf, rinfo) => {
      const peer: Peer = { transport: 'udp', address: rinfo.address, port: rinfo.port };
      // counted here; still passed on, so the parser (which reads no more than the bound)
      // can answer a request with 513 Message Too Large (RFC 3261 21.5.7)
      if (buf.length > maxMessage) events.onBadInput(`datagram of ${buf.length} bytes over the limit`, peer);
      events.onData(buf, peer);
    });
    try {
      socket.setRecvBufferSize(8 * 1024 * 1024);
      socket.setSendBufferSize(8 * 1024 * 1024);
    } catch { /* the kernel's limits apply */ }
    const bound = socket.address();
    return new UdpTransport(socket, { address: bound.address, port: bound.port });
  }

  send(buf: Buffer, peer: Peer): Promise<Peer> {
    return new Promise((resolve, reject) => {
      this.socket.send(buf, peer.port, peer.address, (err) => (err ? reject(err) : resolve(peer)));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
