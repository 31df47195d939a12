import dgram from 'node:dgram';

/** A UDP socket that sends every RTP packet back where it came from: the echo test's far end. */
export class RtpReflector {
  private constructor(private readonly sock: dgram.Socket) {}

  static async open(address: string): Promise<RtpReflector> {
    const sock = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, address, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sock.on('message', (msg, from) => sock.send(msg, from.port, from.address));
    sock.on('error', () => undefined);
    return new RtpReflector(sock);
  }

  get address(): string {
    return this.sock.address().address;
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** An SDP answer that accepts the offered audio codec and points at this socket. */
  answer(offer: string): string {
    const pt = /^m=audio \d+ [A-Z/]+ (\d+)/m.exec(offer)?.[1] ?? '0';
    const rtpmap = new RegExp(`^a=rtpmap:${pt} .*$`, 'm').exec(offer)?.[0];
    const ip4 = !this.address.includes(':');
    return [
      'v=0', `o=echo ${Date.now()} 1 IN ${ip4 ? 'IP4' : 'IP6'} ${this.address}`, 's=echo', `c=IN ${ip4 ? 'IP4' : 'IP6'} ${this.address}`, 't=0 0',
      `m=audio ${this.port} RTP/AVP ${pt}`, ...(rtpmap ? [rtpmap] : []), 'a=sendrecv', '',
    ].join('\r\n');
  }

  close(): void {
    try {
      this.sock.close();
    } catch {
      // already closed
    }
  }
}
