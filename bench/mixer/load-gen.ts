import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { encodeUlaw } from '../../lib/media/audio/g711';
import { FramePacer } from '../../lib/media/audio/frame-pacer';
import { serve } from './ipc';
import type { MemberPort } from './mixer-host';

/**
 * The bench's callers: one connected UDP socket per member, every member sending a 20 ms
 * PCMU packet (a tone, or speech-like noise) on ONE shared drift-free clock, and counting
 * what the mixer sends back. Like real phones, callers are not in phase: the clock ticks
 * every 2 ms and each tick sends a tenth of them. A send rewrites 10 header bytes of a
 * preallocated packet.
 */
const FRAME = 160;
const PACKET = 12 + FRAME;
/** a 1 s loop of frames per sound */
const LOOP_FRAMES = 50;
/** callers are spread over this many phases of the 20 ms period */
const PHASES = 10;

interface Caller {
  sock: dgram.Socket;
  loop: Buffer[];
  buf: Buffer;
  seq: number;
  ts: number;
  ssrc: number;
}

/** Noise shaped by a ~4 Hz syllable envelope, like speech in level if not in spectrum. */
function speechLike(seed: number): Int16Array {
  const out = new Int16Array(FRAME * LOOP_FRAMES);
  let x = seed | 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const envelope = 0.5 + 0.5 * Math.sin((2 * Math.PI * 4 * i) / 8000 + seed);
    out[i] = Math.round(((x % 10000) / 10000) * 6000 * envelope);
  }
  return out;
}

function tone(freq: number): Int16Array {
  return Int16Array.from({ length: FRAME * LOOP_FRAMES }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * freq * i) / 8000)));
}

function frames(samples: Int16Array): Buffer[] {
  const enc = encodeUlaw(samples);
  return Array.from({ length: LOOP_FRAMES }, (_, f) => enc.subarray(f * FRAME, (f + 1) * FRAME));
}

const sounds = [frames(tone(500)), frames(tone(1100)), ...Array.from({ length: 8 }, (_, i) => frames(speechLike(i + 1)))];
const callers: Caller[] = [];
const pacer = new FramePacer(20 / PHASES, performance.now(), 3 * PHASES);
const counters = { sent: 0, received: 0, lateTicks: 0, ticks: 0 };

async function addCaller(target: MemberPort, index: number): Promise<MemberPort> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve) => sock.connect(target.port, '127.0.0.1', () => resolve()));
  sock.on('message', () => counters.received++);
  sock.on('error', () => {}); // ICMP errors while the bench winds down
  // members 0 and 1 of a bridge play tones, member 2 talks
  const kind = index % 3 === 2 ? 2 + (index % 8) : index % 3;
  callers.push({ sock, loop: sounds[kind], buf: Buffer.alloc(PACKET), seq: index * 7, ts: index * 1000, ssrc: 0x10000 + index });
  return { id: target.id, port: sock.address().port };
}

function sendPhase(phase: number, frame: number): void {
  for (let i = phase; i < callers.length; i += PHASES) {
    const c = callers[i];
    if (c.sock.getSendQueueCount() > 0) c.buf = Buffer.alloc(PACKET); // the last one still queued
    const b = c.buf;
    b[0] = 0x80;
    b[1] = 0; // PCMU
    b.writeUInt16BE(c.seq, 2);
    b.writeUInt32BE(c.ts >>> 0, 4);
    b.writeUInt32BE(c.ssrc, 8);
    c.loop[frame % LOOP_FRAMES].copy(b, 12);
    c.seq = (c.seq + 1) & 0xffff;
    c.ts = (c.ts + FRAME) >>> 0;
    c.sock.send(b);
    counters.sent++;
  }
}

let timer: NodeJS.Timeout | undefined;
function tick(): void {
  const now = performance.now();
  const { frames: due } = pacer.take(now);
  for (const t of due) {
    counters.ticks++;
    if (now - (pacer.epochMs + t * pacer.periodMs) > 5) counters.lateTicks++;
    sendPhase(t % PHASES, Math.floor(t / PHASES));
  }
  timer = setTimeout(tick, Math.ceil(pacer.delay(performance.now())));
}

serve({
  add: async (targets: MemberPort[]): Promise<MemberPort[]> => {
    const base = callers.length;
    const out = await Promise.all(targets.map((t, i) => addCaller(t, base + i)));
    if (!timer) tick();
    return out;
  },
  stats: ({ reset }: { reset?: boolean }) => {
    const s = { ...counters, callers: callers.length };
    if (reset) Object.assign(counters, { sent: 0, received: 0, lateTicks: 0, ticks: 0 });
    return s;
  },
}, () => {
  if (timer) clearTimeout(timer);
  for (const c of callers) c.sock.close();
});
