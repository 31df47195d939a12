import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { parseRtpHeader, type RtpHeader } from '../../../lib/media/audio/rtp-packet';

export interface ReceivedPacket extends RtpHeader {
  /** performance.now() at arrival */
  at: number;
  payload: Buffer;
}

/** A UDP socket on 127.0.0.1 that records every RTP packet with its arrival time. */
export class RtpReceiver {
  readonly packets: ReceivedPacket[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly sock: dgram.Socket) {
    sock.on('message', (msg) => {
      const h = parseRtpHeader(msg);
      if (!h) return;
      this.packets.push({ ...h, payload: Buffer.from(h.payload), at: performance.now() });
      for (const w of [...this.waiters]) w();
    });
  }

  static async open(): Promise<RtpReceiver> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, '127.0.0.1', () => resolve());
    });
    return new RtpReceiver(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** Resolves once `done(packets)` holds; rejects after `timeoutMs`. */
  until(done: (packets: ReceivedPacket[]) => boolean, timeoutMs: number, what: string): Promise<ReceivedPacket[]> {
    if (done(this.packets)) return Promise.resolve(this.packets);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done(this.packets)) return;
        finish();
        resolve(this.packets);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.packets.length} packets so far)`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Resolves once `count` packets in all have arrived. */
  count(count: number, timeoutMs = 2000): Promise<ReceivedPacket[]> {
    return this.until((p) => p.length >= count, timeoutMs, `${count} packets`);
  }

  /** Resolves when no packet has arrived for `quietMs`; rejects if that has not happened by `deadlineMs`. */
  quiet(quietMs: number, deadlineMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let quietTimer = setTimeout(done, quietMs);
      const deadline = setTimeout(() => {
        finish();
        reject(new Error(`still receiving after ${deadlineMs} ms`));
      }, deadlineMs);
      const restart = (): void => {
        clearTimeout(quietTimer);
        quietTimer = setTimeout(done, quietMs);
      };
      function done(): void {
        finish();
        resolve();
      }
      const finish = (): void => {
        clearTimeout(quietTimer);
        clearTimeout(deadline);
        this.waiters.delete(restart);
      };
      this.waiters.add(restart);
    });
  }

  close(): void {
    this.sock.close();
  }
}
