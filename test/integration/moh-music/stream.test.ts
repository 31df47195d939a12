import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultMusic } from '../../../features/moh/music/default-music';
import { decodeG711, type G711PayloadType } from '../../../lib/media/audio/g711';
import { MusicStream } from '../../../features/moh/music/music-stream';
import { RtpReceiver, type ReceivedPacket } from './rtp-receiver';

const MUSIC = defaultMusic();
const FRAME = 160;

/**
 * Sequence numbers +1 from packet to packet, timestamps a whole number of frames on (one
 * frame, or more where a stalled process skipped due frames: RFC 3550 5.1, the timestamp
 * is the sampling instant), one SSRC, the asked PT, marker only on the first.
 */
function assertOneRtpStream(packets: ReceivedPacket[], payloadType: G711PayloadType): void {
  assert.ok(packets.length > 1);
  const [first] = packets;
  assert.equal(first.marker, true, 'marker bit on the first packet');
  packets.forEach((p, i) => {
    assert.equal(p.payloadType, payloadType);
    assert.equal(p.ssrc, first.ssrc);
    assert.equal(p.payload.length, FRAME);
    if (i === 0) return;
    const prev = packets[i - 1];
    assert.equal(p.marker, false, `marker bit on packet ${i}`);
    assert.equal(p.sequence, (prev.sequence + 1) & 0xffff, `sequence at packet ${i}`);
    const step = (p.timestamp - prev.timestamp) >>> 0;
    assert.ok(step >= FRAME && step % FRAME === 0 && step <= 50 * FRAME, `timestamp at packet ${i}: +${step}`);
  });
}

/**
 * Where in the loop each packet's audio comes from: the first payload is searched for in
 * the stream's own encoding, the rest must follow at their timestamp distance.
 */
function loopOffsets(stream: MusicStream, packets: ReceivedPacket[], payloadType: G711PayloadType): number[] {
  const loop = stream.encodedLoop(payloadType);
  const wrapped = Buffer.concat([loop, loop.subarray(0, FRAME)]);
  const start = wrapped.indexOf(packets[0].payload);
  assert.ok(start >= 0, 'first payload is a slice of the encoded loop');
  return packets.map((p, i) => {
    const offset = (start + ((p.timestamp - packets[0].timestamp) >>> 0)) % loop.length;
    assert.ok(p.payload.equals(wrapped.subarray(offset, offset + FRAME)), `packet ${i} carries the loop at offset ${offset}`);
    return offset;
  });
}

function rms(payload: Buffer, payloadType: G711PayloadType): number {
  const pcm = decodeG711(payload, payloadType);
  return Math.sqrt(pcm.reduce((s, v) => s + v * v, 0) / pcm.length);
}

describe('moh music: shared RTP stream', function () {
  this.timeout(5000);
  const cleanups: Array<() => void | Promise<void>> = [];

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function openStream(): Promise<MusicStream> {
    const stream = new MusicStream({ samples: MUSIC });
    await stream.open();
    cleanups.push(() => stream.close());
    return stream;
  }

  async function openReceiver(): Promise<RtpReceiver> {
    const rx = await RtpReceiver.open();
    cleanups.push(() => rx.close());
    return rx;
  }

  it('sends 50 packets/s of the loop to a listener, as one RTP stream', async () => {
    const stream = await openStream();
    assert.equal(stream.localAddress, '127.0.0.1');
    assert.equal(stream.localPort % 2, 0, 'an even RTP port (RFC 3550 11)');
    const rx = await openReceiver();
    const handle = stream.addListener({ address: '127.0.0.1', port: rx.port, payloadType: 0 });

    const [first] = await rx.count(1);
    // one second of packets, measured from the first one's arrival
    const all = await rx.until((p) => p[p.length - 1].at >= first.at + 1000, 2500, '1 s of packets');
    const second = all.filter((p) => p.at < first.at + 1000);
    assert.ok(second.length >= 45 && second.length <= 55, `${second.length} packets in 1 s`);

    assertOneRtpStream(all, 0);
    assert.equal(first.ssrc, handle.ssrc);
    loopOffsets(stream, all, 0);
    for (const p of all) assert.ok(rms(p.payload, 0) > 100, 'not silence');

    // Inter-arrival jitter (RFC 3550 6.4.1 estimator) and the raw gaps, reported for the record.
    // The first gap is left out: a listener's first packet goes out at once, mid-period.
    let jitter = 0;
    const gaps: number[] = [];
    for (let i = 2; i < all.length; i++) {
      const gap = all[i].at - all[i - 1].at;
      gaps.push(gap);
      jitter += (Math.abs(gap - 20) - jitter) / 16;
    }
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    const worst = Math.max(...gaps.map((g) => Math.abs(g - 20)));
    console.log(
      `      ${second.length} packets in 1 s; first gap ${(all[1].at - all[0].at).toFixed(2)} ms, then gap mean ${mean.toFixed(2)} ms, ` +
        `sd ${sd.toFixed(2)} ms, worst |gap-20| ${worst.toFixed(2)} ms, RFC 3550 jitter ${jitter.toFixed(2)} ms`,
    );
    // drift-free: the media clock and the wall clock agree over the whole run
    const last = all[all.length - 1];
    const lag = last.at - first.at - ((last.timestamp - first.timestamp) >>> 0) / 8;
    assert.ok(Math.abs(lag) < 20, `wall clock ahead of media clock by ${lag.toFixed(1)} ms`);
  });

  it('serves two listeners at once: own SSRCs and codecs, one shared loop position', async () => {
    const stream = await openStream();
    const [rxA, rxB] = await Promise.all([openReceiver(), openReceiver()]);
    const a = stream.addListener({ address: '127.0.0.1', port: rxA.port, payloadType: 0 });
    await rxA.count(5);
    const b = stream.addListener({ address: '127.0.0.1', port: rxB.port, payloadType: 8 });
    assert.equal(stream.listenerCount, 2);
    const fromB = await rxB.count(10);
    const fromA = await rxA.until((p) => p[p.length - 1].at >= fromB[9].at, 1000, 'A to keep pace with B');

    assertOneRtpStream(fromA, 0);
    assertOneRtpStream(fromB, 8);
    assert.notEqual(a.ssrc, b.ssrc);
    assert.equal(fromB[0].ssrc, b.ssrc);
    for (const p of fromB) assert.ok(rms(p.payload, 8) > 100, 'PCMA not silence');

    // B joined where the music was, not at the start, and hears what A hears, when A hears it.
    const offsetsA = loopOffsets(stream, fromA, 0);
    const offsetsB = loopOffsets(stream, fromB, 8);
    assert.ok(offsetsB[0] >= 5 * FRAME, `B started at loop offset ${offsetsB[0]}`);
    const same = offsetsA.indexOf(offsetsB[0]);
    assert.ok(same >= 0, 'A got the frame B started with');
    assert.ok(Math.abs(fromA[same].at - fromB[0].at) < 5, 'in the same tick');

    // removing one listener leaves the other playing
    a.remove();
    const countB = rxB.packets.length;
    await Promise.all([rxA.quiet(100, 1000), rxB.count(countB + 5)]);
    assert.equal(stream.listenerCount, 1);
    assert.equal(stream.active, true);
  });

  it('stops sending on remove(), and runs no timer without listeners', async () => {
    const stream = await openStream();
    assert.equal(stream.active, false, 'no timer before the first listener');
    const rx = await openReceiver();
    const handle = stream.addListener({ address: '127.0.0.1', port: rx.port, payloadType: 8 });
    assert.equal(stream.active, true);
    await rx.count(3);
    handle.remove();
    handle.remove(); // idempotent
    assert.equal(handle.removed, true);
    assert.equal(stream.active, false, 'timer stopped with the last listener');
    assert.equal(stream.listenerCount, 0);
    await rx.quiet(150, 1000);
    const sent = stream.stats.packetsSent;
    assert.ok(rx.packets.length === sent, `received ${rx.packets.length} of ${sent}`);
  });

  it('catches up after a stalled event loop with a short burst, and keeps time', async () => {
    const stream = await openStream();
    const rx = await openReceiver();
    stream.addListener({ address: '127.0.0.1', port: rx.port, payloadType: 0 });
    await rx.count(5);
    const stallStart = performance.now();
    while (performance.now() - stallStart < 150) {
      // block the event loop (a GC pause, a sync file read...): about 7 frames fall due meanwhile
    }
    const packets = await rx.count(15);

    assert.ok(stream.stats.framesSkipped >= 1, 'some due frames were dropped');
    const steps = packets.slice(1).map((p, i) => ((p.timestamp - packets[i].timestamp) >>> 0) / FRAME);
    const jumps = steps.flatMap((s, i) => (s === 1 ? [] : [i + 1]));
    // the stall's gap; a busy machine may stall the process again, never more than was skipped
    assert.ok(jumps.length >= 1, `timestamp steps ${steps.join(',')}`);
    assert.ok(steps.every((x) => Number.isInteger(x) && x >= 1), `timestamp steps ${steps.join(',')}`);
    assert.ok(steps.reduce((a, x) => a + x - 1, 0) <= stream.stats.framesSkipped, 'the gaps are skipped frames, nothing else');
    packets.slice(1).forEach((p, i) => assert.equal(p.sequence, (packets[i].sequence + 1) & 0xffff, 'no sequence gap'));

    // the catch-up: the 3 newest due frames at once, never more
    const burst = packets.slice(jumps[0], jumps[0] + 3);
    assert.ok(burst[2].at - burst[0].at < 5, 'the 3 catch-up packets come together');
    // each packet's arrival against its timestamp's instant: the most punctual packet is the
    // clock (the first may itself have been delayed by a busy machine); the last is back on it
    const first = packets[0];
    const lags = packets.map((p) => p.at - first.at - ((p.timestamp - first.timestamp) >>> 0) / 8);
    const lag = (lags.at(-1) ?? 0) - Math.min(...lags);
    assert.ok(lag < 40, `back on the clock after the stall (lag ${lag.toFixed(1)} ms)`);
  });

  it('rejects listeners it cannot serve', async () => {
    const closed = new MusicStream({ samples: MUSIC });
    assert.throws(() => closed.addListener({ address: '127.0.0.1', port: 4000, payloadType: 0 }), /not open/);
    const stream = await openStream();
    assert.throws(() => stream.addListener({ address: '127.0.0.1', port: 4000, payloadType: 18 as G711PayloadType }), /payload type 18/);
    assert.throws(() => stream.addListener({ address: '127.0.0.1', port: 0, payloadType: 0 }), /bad RTP port/);
    assert.throws(() => stream.addListener({ address: '::1', port: 4000, payloadType: 0 }), /cannot send to ::1/);
    assert.throws(() => stream.addListener({ address: 'rtpengine', port: 4000, payloadType: 0 }), /not an IP address/);
    assert.equal(stream.active, false);
  });

  it('lets the process exit once the last listener is gone, without close()', async () => {
    const modulePath = path.resolve(__dirname, '../../../features/moh/music/music-stream.js');
    const script = `
      const { MusicStream } = require(${JSON.stringify(modulePath)});
      const stream = new MusicStream({ samples: new Int16Array(1600).fill(1000) });
      stream.open().then(() => {
        const handle = stream.addListener({ address: '127.0.0.1', port: 9, payloadType: 0 });
        setTimeout(() => { handle.remove(); process.stdout.write(String(stream.active)); }, 60);
      });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void child.kill());
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('child still running: something keeps it alive')), 3000);
      child.on('exit', (c) => {
        clearTimeout(deadline);
        resolve(c);
      });
    });
    assert.equal(code, 0);
    assert.equal(out, 'false');
  });
});
