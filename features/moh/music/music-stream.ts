import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomInt } from 'node:crypto';
import type { Logger } from 'winston';
import { encodeG711, type G711PayloadType } from '../../../lib/media/audio/g711';
import { FramePacer } from '../../../lib/media/audio/frame-pacer';
import { rtpPacket } from '../../../lib/media/audio/rtp-packet';

// The hold leg's SDP helpers, next to the stream they describe (callers import both from here).
export { sdpOffer, chosenPayloadType, answerTarget } from '../../../lib/media/audio/media-sdp';
export type { SdpOfferOptions } from '../../../lib/media/audio/media-sdp';

/** RFC 3551 4.5.14: G.711 at 8 kHz; 20 ms (160 samples) is the default packetization. */
export const PTIME_MS = 20;
export const FRAME_SAMPLES = 160;
/** After a late tick, send at most this many due packets at once (the rest are skipped). */
export const MAX_BURST = 3;
/** Tries at a free even port (RFC 3550 11: RTP on an even port) before taking an odd one. */
const EVEN_PORT_TRIES = 16;

export interface MusicStreamOptions {
  /** the loop, 8 kHz PCM16 mono */
  samples: Int16Array;
  logger?: Logger;
  /** local address of the RTP socket, advertised in the SDP offer; default 127.0.0.1 */
  bindAddress?: string;
  /** local port; default 0: any free port, even if possible */
  bindPort?: number;
  /** the music class, for logs */
  name?: string;
}

/** Where a listener wants the music, in the codec its SDP answer chose. */
export interface MusicListener {
  address: string;
  port: number;
  payloadType: G711PayloadType;
}

export interface ListenerHandle {
  readonly ssrc: number;
  readonly payloadType: G711PayloadType;
  readonly removed: boolean;
  /** Stop sending to this listener; idempotent. */
  remove(): void;
}

export interface MusicStreamStats {
  listeners: number;
  packetsSent: number;
  /** frames dropped after late ticks (MAX_BURST) */
  framesSkipped: number;
  /** packets the far end sent to us (ignored: music only sends) */
  packetsReceived: number;
}

interface ListenerState {
  readonly target: MusicListener;
  readonly ssrc: number;
  /** RFC 3550 5.1: random initial sequence number and timestamp */
  readonly firstSequence: number;
  readonly firstTimestamp: number;
  /** frame index of this listener's first packet, once sent */
  firstFrame?: number;
  sent: number;
  sendFailed: boolean;
}

/**
 * One music class's RTP source, shared by every caller on hold in that class: one loop
 * position, one clock (FramePacer), one timer, one UDP socket. Each listener gets its own
 * RTP stream (SSRC, sequence, timestamps) carrying the same audio.
 *
 * The timer runs only while there are listeners, and the socket is unref'd, so an idle
 * stream never keeps the process alive.
 */
export class MusicStream {
  readonly name: string;
  /** samples in the loop */
  readonly loopSamples: number;
  /** loop encodings, each followed by FRAME_SAMPLES bytes of its own start, so a frame that wraps is one slice */
  private readonly wrapped: Record<G711PayloadType, Buffer>;
  private readonly pacer: FramePacer;
  private readonly bindAddress: string;
  private readonly bindPort: number;
  private readonly log?: Logger;
  private readonly listeners = new Map<ListenerHandle, ListenerState>();
  private sock?: dgram.Socket;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private counters = { packetsSent: 0, framesSkipped: 0, packetsReceived: 0 };

  constructor(opts: MusicStreamOptions) {
    if (opts.samples.length === 0) throw new RangeError('music stream needs at least one sample');
    this.name = opts.name ?? 'music';
    this.loopSamples = opts.samples.length;
    this.bindAddress = opts.bindAddress ?? '127.0.0.1';
    this.bindPort = opts.bindPort ?? 0;
    if (!isIP(this.bindAddress)) throw new RangeError(`bindAddress ${this.bindAddress} is not an IP address`);
    this.log = opts.logger;
    this.wrapped = { 0: wrap(encodeG711(opts.samples, 0)), 8: wrap(encodeG711(opts.samples, 8)) };
    // The loop position is a function of time since construction, listeners or not.
    this.pacer = new FramePacer(PTIME_MS, performance.now(), MAX_BURST);
  }

  /** Bind the RTP socket. Must resolve before localPort is read or a listener is added. */
  async open(): Promise<void> {
    if (this.closed) throw new Error(`music stream ${this.name} is closed`);
    if (this.sock) return;
    let sock = await bind(this.bindAddress, this.bindPort);
    for (let i = 1; this.bindPort === 0 && sock.address().port % 2 === 1 && i < EVEN_PORT_TRIES; i++) {
      const next = await bind(this.bindAddress, 0);
      await closeSocket(sock);
      sock = next;
    }
    if (this.closed) {
      await closeSocket(sock);
      throw new Error(`music stream ${this.name} closed while opening`);
    }
    sock.on('message', () => this.counters.packetsReceived++);
    sock.on('error', (err) => this.log?.warn('music stream socket error', { moh: this.name, error: err.message }));
    sock.unref();
    this.sock = sock;
    this.log?.debug('music stream open', { moh: this.name, address: this.localAddress, port: this.localPort });
  }

  get localAddress(): string {
    return this.socket().address().address;
  }

  get localPort(): number {
    return this.socket().address().port;
  }

  /** True while the stream's timer is running, i.e. while it has listeners. */
  get active(): boolean {
    return this.timer !== undefined;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  get stats(): MusicStreamStats {
    return { listeners: this.listeners.size, ...this.counters };
  }

  /** The whole loop encoded for a payload type: what listeners hear, 160 bytes per packet. */
  encodedLoop(payloadType: G711PayloadType): Buffer {
    return this.wrapped[payloadType].subarray(0, this.loopSamples);
  }

  /** Start sending to a listener from the current loop position (its first packet has the marker bit). */
  addListener(target: MusicListener): ListenerHandle {
    this.socket(); // throws unless open
    if (target.payloadType !== 0 && target.payloadType !== 8) throw new RangeError(`payload type ${String(target.payloadType)} is not PCMU (0) or PCMA (8)`);
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new RangeError(`bad RTP port ${target.port}`);
    const family = isIP(target.address);
    if (family === 0) throw new RangeError(`${target.address} is not an IP address`);
    if (family !== isIP(this.bindAddress)) throw new RangeError(`cannot send to ${target.address} from ${this.localAddress}`);

    const state: ListenerState = {
      target: { ...target },
      ssrc: this.freshSsrc(),
      firstSequence: randomInt(0x10000),
      firstTimestamp: randomInt(0x100000000),
      sent: 0,
      sendFailed: false,
    };
    let removed = false;
    const handle: ListenerHandle = {
      ssrc: state.ssrc,
      payloadType: target.payloadType,
      get removed() {
        return removed;
      },
      remove: () => {
        if (removed) return;
        removed = true;
        this.listeners.delete(handle);
        if (this.listeners.size === 0) this.stopTimer();
        this.log?.debug('music listener removed', { moh: this.name, ssrc: state.ssrc, packets: state.sent });
      },
    };
    this.listeners.set(handle, state);
    this.log?.debug('music listener added', { moh: this.name, ...target, ssrc: state.ssrc });
    if (!this.timer) {
      this.pacer.restart(performance.now());
      this.schedule();
    }
    return handle;
  }

  /** Stop all listeners and release the socket; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const handle of [...this.listeners.keys()]) handle.remove();
    this.stopTimer();
    const sock = this.sock;
    this.sock = undefined;
    if (sock) await closeSocket(sock);
  }

  private socket(): dgram.Socket {
    if (!this.sock) throw new Error(`music stream ${this.name} is not open`);
    return this.sock;
  }

  private freshSsrc(): number {
    const taken = new Set([...this.listeners.values()].map((l) => l.ssrc));
    let ssrc: number;
    do ssrc = randomInt(0x100000000);
    while (taken.has(ssrc));
    return ssrc;
  }

  private schedule(): void {
    this.timer = setTimeout(this.tick, Math.ceil(this.pacer.delay(performance.now())));
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    const { frames, skipped } = this.pacer.take(performance.now());
    if (skipped > 0) {
      this.counters.framesSkipped += skipped;
      this.log?.debug('music stream late, frames skipped', { moh: this.name, skipped });
    }
    for (const frame of frames) this.sendFrame(frame);
    if (this.listeners.size > 0 && !this.closed) this.schedule();
  };

  private sendFrame(frame: number): void {
    const sock = this.sock;
    if (!sock) return;
    const offset = (frame * FRAME_SAMPLES) % this.loopSamples;
    const payload = {
      0: this.wrapped[0].subarray(offset, offset + FRAME_SAMPLES),
      8: this.wrapped[8].subarray(offset, offset + FRAME_SAMPLES),
    };
    for (const state of this.listeners.values()) {
      const first = state.firstFrame === undefined;
      if (first) state.firstFrame = frame;
      const packet = rtpPacket(
        {
          payloadType: state.target.payloadType,
          // RFC 3551 4.1: marker on the first packet of a talkspurt, here the start of the stream
          marker: first,
          sequence: state.firstSequence + state.sent,
          // RFC 3550 5.1: timestamps follow the sampling clock, so skipped frames leave a gap
          timestamp: state.firstTimestamp + (frame - (state.firstFrame ?? frame)) * FRAME_SAMPLES,
          ssrc: state.ssrc,
        },
        payload[state.target.payloadType],
      );
      state.sent++;
      this.counters.packetsSent++;
      sock.send(packet, state.target.port, state.target.address, (err) => {
        if (!err || state.sendFailed) return;
        state.sendFailed = true; // once per listener: a dead far end must not flood the log
        this.log?.warn('music stream send failed', { moh: this.name, ssrc: state.ssrc, error: err.message });
      });
    }
  }
}

/** The encoding followed by enough of its own start to take any 160-byte frame as one slice. */
function wrap(loop: Buffer): Buffer {
  const out = Buffer.allocUnsafe(loop.length + FRAME_SAMPLES);
  loop.copy(out);
  for (let i = loop.length; i < out.length; i++) out[i] = loop[i % loop.length];
  return out;
}

async function bind(address: string, port: number): Promise<dgram.Socket> {
  const sock = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', (err) => {
      void closeSocket(sock);
      reject(err);
    });
    sock.bind(port, address, () => {
      sock.removeAllListeners('error');
      resolve();
    });
  });
  return sock;
}

async function closeSocket(sock: dgram.Socket): Promise<void> {
  await new Promise<void>((resolve) => {
    try {
      sock.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
