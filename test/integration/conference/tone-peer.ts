import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { decodeG711, encodeG711, type G711PayloadType } from '../../../lib/media/audio/g711';
import { FramePacer } from '../../../lib/media/audio/frame-pacer';
import { parseRtpHeader, rtpPacket, type RtpHeader } from '../../../lib/media/audio/rtp-packet';
import { sineTone } from '../../support/goertzel';

const FRAME = 160;

export interface ReceivedFrame extends RtpHeader {
  pcm: Int16Array;
  from: { address: string; port: number };
}

export interface SendPlan {
  freq: number;
  payloadType: G711PayloadType;
  amplitude?: number;
  /** which packet (index from 0) to send in send slot i, or -1 for none: reordering and loss */
  order?: (slot: number) => number;
}

/**
 * A conference member for tests: one UDP socket that sends a paced G.711 tone (drift-free,
 * 20 ms) to the mixer and decodes every RTP packet it gets back.
 */
export class TonePeer {
  readonly frames: ReceivedFrame[] = [];
  private readonly waiters = new Set<() => void>();
  private timer?: NodeJS.Timeout;

  private constructor(private readonly sock: dgram.Socket) {
    sock.on('message', (msg, rinfo) => {
      const h = parseRtpHeader(msg);
      if (!h || (h.payloadType !== 0 && h.payloadType !== 8)) return;
      this.frames.push({ ...h, pcm: decodeG711(h.payload, h.payloadType), from: { address: rinfo.address, port: rinfo.port } });
      for (const w of [...this.waiters]) w();
    });
    sock.on('error', () => {}); // ICMP port unreachable once the mixer's port is gone
  }

  static async open(address = '127.0.0.1'): Promise<TonePeer> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, address, () => resolve());
    });
    return new TonePeer(sock);
  }

  get address(): string {
    return this.sock.address().address;
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** Stream a tone to `to` every 20 ms until stopped (one stream at a time). */
  send(to: { address: string; port: number }, plan: SendPlan): void {
    this.stop();
    const ssrc = randomInt(0x100000000);
    const seq0 = randomInt(0x10000);
    const ts0 = randomInt(0x100000000);
    const pacer = new FramePacer(20, performance.now());
    const packet = (k: number): Buffer => rtpPacket(
      { payloadType: plan.payloadType, marker: k === 0, sequence: (seq0 + k) & 0xffff, timestamp: (ts0 + k * FRAME) >>> 0, ssrc },
      encodeG711(sineTone(plan.freq, FRAME, plan.amplitude ?? 8000, k * FRAME), plan.payloadType),
    );
    const tick = (): void => {
      for (const slot of pacer.take(performance.now()).frames) {
        const k = plan.order ? plan.order(slot) : slot;
        if (k >= 0) this.sock.send(packet(k), to.port, to.address);
      }
      this.timer = setTimeout(tick, Math.ceil(pacer.delay(performance.now())));
    };
    tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next `count` frames to arrive from now on. */
  next(count: number, timeoutMs = 3000): Promise<ReceivedFrame[]> {
    const start = this.frames.length;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.frames.length < start + count) return;
        finish();
        resolve(this.frames.slice(start, start + count));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`peer ${this.port}: ${this.frames.length - start}/${count} frames within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    this.stop();
    await new Promise<void>((resolve) => this.sock.close(() => resolve()));
  }
}

/** The PCM of consecutive frames, as one block. */
export function pcmOf(frames: ReceivedFrame[]): Int16Array {
  const out = new Int16Array(frames.length * FRAME);
  frames.forEach((f, i) => out.set(f.pcm.subarray(0, FRAME), i * FRAME));
  return out;
}

/** A random block of `size` ports below Linux's ephemeral range, for one mixer. */
export function portRange(size = 40): { portMin: number; portMax: number } {
  const portMin = 21000 + 2 * randomInt(0, 5000);
  return { portMin, portMax: portMin + size - 1 };
}
