import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { decodeG711, encodeG711, type G711PayloadType } from '../../../lib/media/audio/g711';
import { FramePacer } from '../../../lib/media/audio/frame-pacer';
import { parseRtpHeader, rtpPacket, type RtpHeader } from '../../../lib/media/audio/rtp-packet';
import { sineTone } from '../../support/goertzel';

const FRAME = 160;

export interface Endpoint {
  address: string;
  port: number;
}

export interface ReceivedFrame extends RtpHeader {
  pcm: Int16Array;
  from: Endpoint;
  /** performance.now() when it arrived */
  at: number;
  /** it came from where the phone's latest SDP says its media comes from (see `moves`) */
  expected: boolean;
}

/** A control datagram from the sipp scenario acting for this phone (test/scenarios/conf-*.xml). */
const CONTROL = /^media (?:(\S+) (\d+)|stop)\s*$/;

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
 *
 * It can also play the media of a sipp phone (test/scenarios/conf-*.xml): the scenario
 * sends it "media <address> <port>" for every SDP the phone receives and "media stop" on
 * BYE, and it sends its tone where the phone would, from the moment the phone would.
 */
export class TonePeer {
  readonly frames: ReceivedFrame[] = [];
  /** where the phone was told to send, and when (undefined: stopped, on BYE) */
  readonly moves: Array<{ at: number; to?: Endpoint }> = [];
  private readonly waiters = new Set<() => void>();
  private timer?: NodeJS.Timeout;
  private target?: Endpoint;

  private constructor(private readonly sock: dgram.Socket) {
    sock.on('message', (msg, rinfo) => {
      const at = performance.now();
      const control = msg[0] === 0x6d ? CONTROL.exec(msg.toString('latin1')) : null; // 'm': never an RTP v2 first byte
      if (control) {
        this.retarget(control[1] ? { address: control[1], port: Number(control[2]) } : undefined, at);
        return;
      }
      const h = parseRtpHeader(msg);
      if (!h || (h.payloadType !== 0 && h.payloadType !== 8)) return;
      const expected = this.target?.address === rinfo.address && this.target.port === rinfo.port;
      this.frames.push({ ...h, pcm: decodeG711(h.payload, h.payloadType), from: { address: rinfo.address, port: rinfo.port }, at, expected });
      for (const w of [...this.waiters]) w();
    });
    sock.on('error', () => {}); // ICMP port unreachable once the mixer's port is gone
    sock.unref(); // a test that failed before closing its peers must not keep mocha running
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
  send(to: Endpoint, plan: SendPlan): void {
    this.target = to;
    this.talk(plan);
  }

  /**
   * Stream a tone every 20 ms to wherever the phone's latest SDP says (nothing while it
   * knows no address, or after its BYE), until stopped; one stream at a time, kept (SSRC,
   * sequence, timestamps) across re-INVITEs as a phone keeps it.
   */
  talk(plan: SendPlan): void {
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
        const to = this.target;
        if (k >= 0 && to) this.sock.send(packet(k), to.port, to.address);
      }
      this.timer = setTimeout(tick, Math.ceil(pacer.delay(performance.now()))).unref();
    };
    tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Where the tone goes from now on (a re-INVITE moved the phone), or nowhere. */
  retarget(to: Endpoint | undefined, at = performance.now()): void {
    this.target = to;
    this.moves.push({ at, to });
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once `done()` holds, checked at every frame and move. */
  until(done: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`peer ${this.port}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
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
