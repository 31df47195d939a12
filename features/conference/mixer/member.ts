import type dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { PCMA, PCMU, type G711PayloadType } from '../../../lib/media/audio/g711';
import { RTP_HEADER_BYTES } from '../../../lib/media/audio/rtp-packet';
import { FRAME_SAMPLES, JitterBuffer } from './jitter-buffer';
import type { MixSlot } from './mix-minus';
import type { RemoteEndpoint } from './mixer-options';
import { closeSocket } from './port-pool';

const PACKET_BYTES = RTP_HEADER_BYTES + FRAME_SAMPLES;

export interface MemberCounters {
  packetsIn: number;
  /** not RTP, RTCP, a payload type other than 0/8 (telephone-event, comfort noise) */
  packetsIgnored: number;
  packetsOut: number;
  /** the sender changed SSRC (restarted); its jitter buffer started over */
  ssrcChanges: number;
  /** socket errors, mostly ICMP unreachable from a remote that went away */
  socketErrors: number;
}

/** What a member tells its owner (the engine logs it). */
export interface MemberDelegate {
  /** a datagram arrived, before it is handled: lets the engine run a tick that is due first */
  onPacket?(): void;
  onLatch?(member: Member, remote: RemoteEndpoint): void;
  onSocketError?(member: Member, err: Error): void;
}

/**
 * One member of a bridge: its RTP socket, its jitter buffer, and its outgoing RTP stream
 * (own SSRC, sequence and timestamp, RFC 3550 5.1). It is also the mixer's MixSlot for
 * the member, so the mix reads and writes its buffers directly.
 */
export class Member implements MixSlot {
  // MixSlot: this frame's contribution and the destination of this member's mix
  inPt = -1;
  inBytes: Uint8Array;
  inOff = 0;
  inLen = 0;
  readonly pcm = new Int16Array(FRAME_SAMPLES);
  outPt: G711PayloadType;
  out: Buffer = Buffer.allocUnsafe(PACKET_BYTES);
  readonly outOff = RTP_HEADER_BYTES;

  readonly ssrc = randomInt(0x100000000);
  readonly counters: MemberCounters = { packetsIn: 0, packetsIgnored: 0, packetsOut: 0, ssrcChanges: 0, socketErrors: 0 };
  private remote?: RemoteEndpoint;
  /** RFC 4961 symmetric RTP: after every remote change, send where the member's packets come from */
  private latchMode: boolean;
  /** take the source of the next packet as the remote */
  private latchPending: boolean;
  /** the socket is connected to `remote` (see relink) */
  private connected = false;
  private connecting = false;
  /** which relink a connect callback belongs to */
  private linkGeneration = 0;
  private errorReported = false;
  private sequence = randomInt(0x10000);
  private readonly firstTimestamp = randomInt(0x100000000);
  /** frame index (shared mixer clock) of this member's first packet */
  private firstFrame = -1;
  private inSsrc = -1;

  constructor(
    readonly id: string,
    readonly bridgeId: string,
    readonly port: number,
    private readonly sock: dgram.Socket,
    readonly jitter: JitterBuffer,
    opts: { payloadType: G711PayloadType; remote?: RemoteEndpoint; latch?: boolean },
    private readonly delegate: MemberDelegate = {},
  ) {
    this.inBytes = jitter.payloads;
    this.outPt = opts.payloadType;
    this.remote = opts.remote;
    this.latchMode = opts.latch === true;
    this.latchPending = this.latchMode || opts.remote === undefined;
    sock.on('message', this.onMessage);
    sock.on('error', this.onError);
    this.relink();
  }

  /** A new remote (an SDP answer, a re-INVITE); `latch` undefined keeps the member's latch mode. */
  setRemote(remote: RemoteEndpoint, payloadType: G711PayloadType | undefined, latch: boolean | undefined): void {
    this.remote = remote;
    if (payloadType !== undefined) this.outPt = payloadType;
    if (latch !== undefined) this.latchMode = latch;
    this.latchPending = this.latchMode;
    this.relink();
  }

  /** Take this tick's frame from the jitter buffer as the member's contribution (inPt -1 if none). */
  takeFrame(): void {
    const off = this.jitter.pop();
    if (off < 0) {
      this.inPt = -1;
      return;
    }
    this.inOff = off;
    this.inLen = this.jitter.length;
    this.inPt = this.jitter.payloadType;
  }

  /**
   * Make `out` safe to write: the last packet may still be queued in libuv (the kernel
   * would not take it at once); then it is left to the queue and a fresh buffer is used.
   * Normally the send went straight through and the buffer is reused: no allocation.
   */
  prepareOut(): void {
    if (this.sock.getSendQueueCount() > 0) this.out = Buffer.allocUnsafe(PACKET_BYTES);
  }

  /** Send the mix now in `out` as this member's packet for `frame`; nothing until a remote is known. */
  send(frame: number): void {
    const remote = this.remote;
    if (remote === undefined) return;
    const b = this.out;
    let marker = 0;
    if (this.firstFrame < 0) {
      this.firstFrame = frame;
      marker = 0x80; // RFC 3551 4.1: the first packet of the stream starts a talkspurt
    }
    // RFC 3550 5.1: the timestamp follows the 8 kHz sampling clock of the shared frame
    // index, so a skipped (late) frame leaves a gap; the sequence counts packets sent.
    const ts = (this.firstTimestamp + (frame - this.firstFrame) * FRAME_SAMPLES) >>> 0;
    const seq = this.sequence;
    this.sequence = (seq + 1) & 0xffff;
    b[0] = 0x80; // V=2, no padding, no extension, no CSRC
    b[1] = marker | this.outPt;
    b[2] = seq >>> 8;
    b[3] = seq & 0xff;
    b[4] = ts >>> 24;
    b[5] = (ts >>> 16) & 0xff;
    b[6] = (ts >>> 8) & 0xff;
    b[7] = ts & 0xff;
    const ssrc = this.ssrc;
    b[8] = ssrc >>> 24;
    b[9] = (ssrc >>> 16) & 0xff;
    b[10] = (ssrc >>> 8) & 0xff;
    b[11] = ssrc & 0xff;
    this.counters.packetsOut++;
    // `out` is exactly one packet long: no offset and length, so dgram makes no slice of it
    if (this.connected) this.sock.send(b);
    else if (!this.connecting) this.sock.send(b, remote.port, remote.address);
  }

  /**
   * Once the remote is settled (known, and not waiting to latch), connect the socket to it:
   * the kernel then routes the member's packets without a lookup each (measured ~25% off
   * the cost of a send) and drops packets from other sources. While latching, the socket
   * stays unconnected so the first packet can come from anywhere.
   */
  private relink(): void {
    this.linkGeneration++;
    this.errorReported = false;
    if (this.connected || this.connecting) {
      try {
        this.sock.disconnect();
      } catch {
        // not connected after all (a connect that failed)
      }
      this.connected = false;
      this.connecting = false;
    }
    const remote = this.remote;
    if (remote === undefined || this.latchPending) return;
    const generation = this.linkGeneration;
    this.connecting = true;
    this.sock.connect(remote.port, remote.address, (err?: Error) => {
      if (generation !== this.linkGeneration) return; // relinked meanwhile
      this.connecting = false;
      if (err) this.onError(err);
      else this.connected = true;
    });
  }

  /** Stop receiving and release the port. */
  async close(): Promise<void> {
    this.sock.off('message', this.onMessage);
    await closeSocket(this.sock);
  }

  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    this.delegate.onPacket?.();
    this.counters.packetsIn++;
    // RFC 3550 5.1: version 2; RFC 5761 4: payload types 72-76 would be RTCP (ignored).
    if (msg.length < RTP_HEADER_BYTES || msg[0] >> 6 !== 2) return this.ignore();
    const pt = msg[1] & 0x7f;
    if (pt !== PCMU && pt !== PCMA) return this.ignore(); // DTMF, comfort noise: not mixed
    if (this.latchPending) {
      this.latchPending = false;
      this.remote = { address: rinfo.address, port: rinfo.port };
      this.relink();
      this.delegate.onLatch?.(this, this.remote);
    }
    let off = RTP_HEADER_BYTES + 4 * (msg[0] & 0x0f);
    if (msg[0] & 0x10) {
      if (off + 4 > msg.length) return this.ignore();
      off += 4 + 4 * ((msg[off + 2] << 8) | msg[off + 3]); // RFC 3550 5.3.1 header extension
    }
    let end = msg.length;
    if (msg[0] & 0x20) end -= msg[end - 1]; // RFC 3550 5.1 padding: the last byte counts it
    if (end <= off) return this.ignore();
    const ssrc = ((msg[8] << 24) | (msg[9] << 16) | (msg[10] << 8) | msg[11]) >>> 0;
    if (ssrc !== this.inSsrc) {
      if (this.inSsrc >= 0) {
        this.counters.ssrcChanges++;
        this.jitter.reset();
      }
      this.inSsrc = ssrc;
    }
    this.jitter.push((msg[2] << 8) | msg[3], pt, msg, off, end - off);
  };

  /**
   * Socket errors are mostly ICMP port unreachable coming back on a connected socket (the
   * far end went away): counted, and reported once per remote rather than every 20 ms.
   */
  private readonly onError = (err: Error): void => {
    this.counters.socketErrors++;
    if (this.errorReported) return;
    this.errorReported = true;
    this.delegate.onSocketError?.(this, err);
  };

  private ignore(): void {
    this.counters.packetsIgnored++;
  }
}
