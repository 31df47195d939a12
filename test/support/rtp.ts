import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import { parse, write, type SessionDescription } from 'sdp-transform';

/**
 * A small RTP endpoint for tests: it advertises itself in SDP, streams 20 ms G.711 packets
 * whose payload is one "marker" byte repeated (so a receiver can tell who sent what), and
 * counts what it receives by marker and by source.
 */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The marker of a packet whose payload is not one repeated byte (rtpengine's own audio, e.g. play media). */
export const OTHER = -1;

export interface SdpOptions {
  direction?: Direction;
  /** static payload types to offer, default [0, 8] (PCMU, PCMA) */
  payloads?: number[];
  /** add telephone-event/8000 as payload type 101 (RFC 4733) */
  telephoneEvent?: boolean;
}

export interface SendOptions {
  /** payload byte, 0..255, repeated 160 times; default 0x55 */
  marker?: number;
  /** payload per packet instead of the marker fill */
  payload?: (index: number) => Buffer;
  /** default 0 (PCMU) */
  payloadType?: number;
  /** stop after this many packets; default: until stopped */
  packets?: number;
}

export interface RtpSender {
  readonly sent: number;
  stop(): void;
}

export interface RtpSource {
  address: string;
  port: number;
}

export interface RtpEndpoint {
  readonly address: string;
  readonly port: number;
  /** An SDP offer or answer advertising this endpoint; o= version grows with each call (RFC 3264 8). */
  sdp(opts?: SdpOptions): string;
  sendTo(address: string, port: number, opts?: SendOptions): RtpSender;
  /** packets received so far with this marker, or in all if none given */
  received(marker?: number): number;
  /** where the last packet with this marker came from */
  lastSource(marker: number): RtpSource | undefined;
  /** the payload of the last packet with this marker */
  lastPayload(marker: number): Buffer | undefined;
  /** calls `fn` for every packet received, with its marker (for measurements) */
  onPacket(fn: (marker: number) => void): void;
  /** resolves once `count` more packets with this marker arrive; rejects after timeoutMs */
  waitFor(marker: number, count: number, timeoutMs?: number): Promise<void>;
  /** resolves true if no packet with this marker arrives for `ms` */
  quietFor(marker: number, ms: number): Promise<boolean>;
  stop(): Promise<void>;
}

const SAMPLES = 160; // 20 ms at 8 kHz (RFC 3551 4.5.14)
const PTIME_MS = 20;

/** Where to send media for this SDP: the first audio section's port and its (or the session's) c= address. */
export function mediaTarget(sdp: string): RtpSource {
  const s = parse(sdp);
  const audio = s.media.find((m) => m.type === 'audio');
  if (!audio) throw new Error('SDP has no audio section');
  const address = audio.connection?.ip ?? s.connection?.ip;
  if (!address) throw new Error('SDP has no c= line');
  return { address, port: audio.port };
}

/** The direction attribute of the first audio section (RFC 3264 5.1: sendrecv when absent). */
export function sdpDirection(sdp: string): Direction {
  const s = parse(sdp);
  const audio = s.media.find((m) => m.type === 'audio');
  return (audio?.direction ?? s.direction ?? 'sendrecv') as Direction;
}

function rtpPacket(seq: number, timestamp: number, ssrc: number, payloadType: number, marker: boolean, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80; // RFC 3550 5.1: V=2, no padding, no extension, no CSRC
  header[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc >>> 0, 8);
  return Buffer.concat([header, payload]);
}

/** The payload of an RTP packet, or null if it is not RTP (or is RTCP, RFC 5761 4). */
function rtpPayload(msg: Buffer): Buffer | null {
  if (msg.length < 12 || msg[0] >> 6 !== 2) return null;
  const pt = msg[1] & 0x7f;
  if (pt >= 72 && pt <= 76) return null;
  let offset = 12 + (msg[0] & 0x0f) * 4;
  if (msg[0] & 0x10) offset += 4 + msg.readUInt16BE(offset + 2) * 4;
  return offset <= msg.length ? msg.subarray(offset) : null;
}

function markerOf(payload: Buffer): number {
  if (payload.length === 0) return OTHER;
  const first = payload[0];
  return payload.every((b) => b === first) ? first : OTHER;
}

export async function createRtpEndpoint(address = '127.0.0.1'): Promise<RtpEndpoint> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, address, () => resolve());
  });
  const port = sock.address().port;
  const counts = new Map<number, number>();
  const sources = new Map<number, RtpSource>();
  const payloads = new Map<number, Buffer>();
  const events = new EventEmitter();
  events.setMaxListeners(100);
  const senders = new Set<NodeJS.Timeout>();
  let total = 0;
  let version = 0;
  const sessionId = randomInt(1, 2 ** 31);

  sock.on('message', (msg, rinfo) => {
    const payload = rtpPayload(msg);
    if (!payload) return;
    const marker = markerOf(payload);
    total++;
    counts.set(marker, (counts.get(marker) ?? 0) + 1);
    sources.set(marker, { address: rinfo.address, port: rinfo.port });
    payloads.set(marker, Buffer.from(payload));
    events.emit('packet', marker);
  });
  // An ICMP error for a packet we sent must not kill the test process.
  sock.on('error', () => {});

  return {
    address,
    port,

    sdp(opts = {}) {
      const payloads = [...(opts.payloads ?? [0, 8]), ...(opts.telephoneEvent ? [101] : [])];
      const names: Record<number, string> = { 0: 'PCMU', 8: 'PCMA', 101: 'telephone-event' };
      const desc: SessionDescription = {
        version: 0,
        origin: { username: '-', sessionId, sessionVersion: version++, netType: 'IN', ipVer: 4, address },
        name: '-',
        connection: { version: 4, ip: address },
        timing: { start: 0, stop: 0 },
        media: [{
          type: 'audio',
          port,
          protocol: 'RTP/AVP',
          payloads: payloads.join(' '),
          rtp: payloads.map((pt) => ({ payload: pt, codec: names[pt] ?? `PT${pt}`, rate: 8000 })),
          fmtp: opts.telephoneEvent ? [{ payload: 101, config: '0-16' }] : [],
          ptime: PTIME_MS,
          direction: opts.direction ?? 'sendrecv',
        }],
      };
      return write(desc);
    },

    sendTo(to, toPort, opts = {}) {
      const ssrc = randomInt(0, 2 ** 32);
      let seq = randomInt(0, 2 ** 16);
      let timestamp = randomInt(0, 2 ** 32);
      const fill = Buffer.alloc(SAMPLES, opts.marker ?? 0x55);
      let sent = 0;
      const send = (): void => {
        const payload = opts.payload ? opts.payload(sent) : fill;
        sock.send(rtpPacket(seq, timestamp, ssrc, opts.payloadType ?? 0, sent === 0, payload), toPort, to);
        seq = (seq + 1) & 0xffff;
        timestamp = (timestamp + SAMPLES) >>> 0;
        sent++;
        if (opts.packets !== undefined && sent >= opts.packets) stop();
      };
      const timer = setInterval(send, PTIME_MS);
      senders.add(timer);
      const stop = (): void => {
        clearInterval(timer);
        senders.delete(timer);
      };
      send();
      return { get sent() { return sent; }, stop };
    },

    received: (marker) => (marker === undefined ? total : counts.get(marker) ?? 0),
    lastSource: (marker) => sources.get(marker),
    lastPayload: (marker) => payloads.get(marker),
    onPacket: (fn) => void events.on('packet', fn),

    waitFor(marker, count, timeoutMs = 2000) {
      return new Promise<void>((resolve, reject) => {
        let seen = 0;
        const onPacket = (m: number): void => {
          if (m !== marker || ++seen < count) return;
          clearTimeout(timer);
          events.off('packet', onPacket);
          resolve();
        };
        const timer = setTimeout(() => {
          events.off('packet', onPacket);
          reject(new Error(`endpoint ${port}: ${seen}/${count} packets with marker ${marker} within ${timeoutMs} ms`));
        }, timeoutMs);
        events.on('packet', onPacket);
      });
    },

    quietFor(marker, ms) {
      return new Promise<boolean>((resolve) => {
        const onPacket = (m: number): void => {
          if (m !== marker) return;
          clearTimeout(timer);
          events.off('packet', onPacket);
          resolve(false);
        };
        const timer = setTimeout(() => {
          events.off('packet', onPacket);
          resolve(true);
        }, ms);
        events.on('packet', onPacket);
      });
    },

    async stop() {
      for (const t of senders) clearInterval(t);
      senders.clear();
      await new Promise<void>((resolve) => sock.close(() => resolve()));
    },
  };
}
