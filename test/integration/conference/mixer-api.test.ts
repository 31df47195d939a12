import assert from 'node:assert/strict';
import { ConferenceMixer, MixerError, type MixerErrorCode } from '../../../features/conference/mixer';
import { DEFAULT_PHASES } from '../../../features/conference/mixer/mixer-options';
import { bindExclusive } from '../../../lib/media/port-block';
import type { Logger } from 'winston';
import { detectTone } from '../../support/goertzel';
import { TonePeer, portRange } from './tone-peer';

const HOST = '127.0.0.1';
const coded = (code: MixerErrorCode) => (e: unknown): boolean => e instanceof MixerError && e.code === code;

describe('conference mixer: API, errors and RTP streams', () => {
  let mixer: ConferenceMixer | undefined;
  const peers: TonePeer[] = [];

  afterEach(async () => {
    for (const p of peers.splice(0)) await p.close();
    await mixer?.close();
    mixer = undefined;
  });

  async function start(size = 40): Promise<ConferenceMixer> {
    mixer = await ConferenceMixer.start({ host: HOST, ...portRange(size) });
    return mixer;
  }

  async function peer(): Promise<TonePeer> {
    const p = await TonePeer.open(HOST);
    peers.push(p);
    return p;
  }

  it('refuses bad start options before spawning a worker', async () => {
    await assert.rejects(ConferenceMixer.start({ host: 'localhost', portMin: 30000, portMax: 30010 }), coded('E_MIXER_CONFIG'));
    await assert.rejects(ConferenceMixer.start({ host: HOST, portMin: 30010, portMax: 30000 }), coded('E_MIXER_CONFIG'));
    await assert.rejects(ConferenceMixer.start({ host: HOST, portMin: 30001, portMax: 30001 }), /no even port/);
  });

  it('rejects bad calls with coded errors', async () => {
    const m = await start();
    await m.addMember('b', 'a', { payloadType: 0 });
    await assert.rejects(m.addMember('b', 'a', { payloadType: 0 }), coded('E_MIXER_MEMBER_EXISTS'));
    await assert.rejects(m.addMember('b', 'z', { payloadType: 9 as 0 }), coded('E_MIXER_BAD_ARGUMENT'));
    await assert.rejects(m.setRemote('a', { address: 'example.com', port: 4000 }), coded('E_MIXER_BAD_ARGUMENT'));
    await assert.rejects(m.setRemote('a', { address: '::1', port: 4000 }), coded('E_MIXER_BAD_ARGUMENT'));
    await assert.rejects(m.setRemote('nobody', { address: HOST, port: 4000 }), coded('E_MIXER_UNKNOWN_MEMBER'));
    await assert.rejects(m.removeMember('nobody'), coded('E_MIXER_UNKNOWN_MEMBER'));
    assert.equal(await m.closeBridge('no-such-bridge'), 0);
  });

  it('runs out of ports with E_MIXER_PORTS_EXHAUSTED, skipping a port another process holds', async () => {
    const m = await start(6); // 3 even ports
    assert.equal((await m.stats()).portsTotal, 3);
    const a = await m.addMember('b', 'a', { payloadType: 0 });
    const held = await bindExclusive(a.port + 2, HOST); // someone else takes the next one
    assert.ok(held);
    try {
      const c = await m.addMember('b', 'c', { payloadType: 0 });
      assert.equal(c.port, a.port + 4);
      await assert.rejects(m.addMember('b', 'd', { payloadType: 0 }), coded('E_MIXER_PORTS_EXHAUSTED'));
      await m.removeMember('a');
      assert.equal((await m.addMember('b', 'd', { payloadType: 8 })).port, a.port, 'a freed port is used again');
    } finally {
      await new Promise<void>((resolve) => held.close(() => resolve()));
    }
  });

  it('sends each member one continuous RTP stream, silence included, in its own codec', async () => {
    const m = await start();
    const p = await peer();
    const info = await m.addMember('b', 'alone', { payloadType: 8, remote: { address: HOST, port: p.port } });
    const frames = await p.next(10);
    assert.equal(frames[0].marker, true, 'RFC 3551 4.1: marker on the first packet');
    frames.forEach((f, i) => {
      assert.equal(f.ssrc, info.ssrc);
      assert.equal(f.payloadType, 8);
      assert.ok(f.pcm.every((v) => Math.abs(v) <= 8), 'a lone member hears silence');
      if (i === 0) return;
      assert.equal(f.marker, false);
      assert.equal(f.sequence, (frames[i - 1].sequence + 1) & 0xffff);
      assert.equal(f.timestamp, (frames[i - 1].timestamp + 160) >>> 0);
    });
    await m.setRemote('alone', { address: HOST, port: p.port, payloadType: 0 });
    const after = await p.next(6);
    // packets sent before the change may still be queued here; the rest are PCMU
    assert.ok(after.slice(3).every((f) => f.payloadType === 0), 'a re-INVITE may change the codec');
    assert.ok(after.every((f) => f.ssrc === info.ssrc), 'same stream');
  });

  it('latches onto the source of the first packet (no remote yet, or latch: true), and logs it', async () => {
    const lines: string[] = [];
    const logger = { isLevelEnabled: () => true, log: (_level: string, message: string) => lines.push(message), error: () => {}, warn: () => {} };
    const m = (mixer = await ConferenceMixer.start({ host: HOST, ...portRange(), logger: logger as unknown as Logger }));
    const a = await peer();
    const b = await peer();
    const infoA = await m.addMember('b', 'a', { payloadType: 0 });
    const infoB = await m.addMember('b', 'b', { payloadType: 0, latch: true });
    await m.setRemote('b', { address: HOST, port: 9 }); // an SDP that lies (NAT): b's latch mode stays
    a.send(infoA, { freq: 500, payloadType: 0 });
    b.send(infoB, { freq: 1100, payloadType: 0 });
    const [fromA, fromB] = await Promise.all([a.next(3), b.next(3)]);
    assert.equal(fromA[0].from.port, infoA.port);
    assert.equal(fromB[0].from.port, infoB.port, 'latched over the SDP remote');
    assert.equal(lines.filter((l) => l === 'conference member latched').length, 2);
  });

  it('members come and go while a bridge mixes, without disturbing it', async () => {
    const m = await start(80);
    const a = await peer();
    const b = await peer();
    const infoA = await m.addMember('b', 'a', { payloadType: 0, remote: { address: HOST, port: a.port } });
    const infoB = await m.addMember('b', 'b', { payloadType: 8, remote: { address: HOST, port: b.port } });
    a.send(infoA, { freq: 500, payloadType: 0 });
    b.send(infoB, { freq: 1100, payloadType: 8 });
    await b.next(5);
    await m.stats({ reset: true });
    const heard = b.next(30);
    const churn = Array.from({ length: 20 }, async (_, i) => {
      await m.addMember(i % 2 ? 'b' : 'other', `x${i}`, { payloadType: 0, remote: { address: HOST, port: 9 } });
      await m.removeMember(`x${i}`);
    });
    await Promise.all(churn);
    const frames = await heard;
    frames.forEach((f, i) => {
      if (i > 0) assert.equal(f.sequence, (frames[i - 1].sequence + 1) & 0xffff, 'no packet missing');
    });
    // The peers send from this test process: on a loaded machine its packets come late, and
    // the mixer drops a late packet (counted) and mixes that frame without it. Churn may
    // cost a frame or two beyond those, no more.
    const withTone = frames.filter((f) => detectTone(f.pcm, 500).verdict === 'present').length;
    const s = await m.stats();
    assert.ok(withTone >= frames.length - 3 - s.packetsDropped,
      `${withTone}/${frames.length} frames carry the other member's tone (${s.packetsDropped} late packets dropped)`);
    assert.deepEqual([s.bridges, s.members, s.portsInUse], [1, 2, 2]);
  });

  it('counts what it mixes; stats({ reset }) starts a new period', async () => {
    const m = await start();
    const a = await peer();
    const b = await peer();
    const infoA = await m.addMember('b1', 'a', { payloadType: 0 });
    const infoB = await m.addMember('b2', 'b', { payloadType: 8 });
    a.send(infoA, { freq: 500, payloadType: 0 });
    b.send(infoB, { freq: 500, payloadType: 8 });
    await Promise.all([a.next(10), b.next(10)]);
    const s = await m.stats({ reset: true });
    assert.equal(s.bridges, 2);
    assert.equal(s.members, 2);
    assert.equal(s.portsInUse, 2);
    assert.ok(s.packetsIn >= 18 && s.packetsOut >= 20, `in ${s.packetsIn}, out ${s.packetsOut}`);
    assert.ok(s.ticks >= 30, `${s.ticks} ticks`);
    assert.equal(s.wakeups.frames, s.ticks);
    // DEFAULT_PHASES slots per 20 ms: each of the 2 bridges mixes at one tick of every DEFAULT_PHASES
    const expected = (2 * s.ticks) / DEFAULT_PHASES;
    assert.ok(Math.abs(s.lateness.frames - expected) <= 2, `${s.lateness.frames} bridge frames in ${s.ticks} ticks, expected about ${expected}`);
    // a skipped tick (a stall of 60 ms or more) holds at most one of the two bridges here
    assert.ok(s.framesSkipped <= s.ticksSkipped, `${s.framesSkipped} frames skipped in ${s.ticksSkipped} ticks`);
    // late packets are dropped (a loaded machine delays this test's own sender): most must mix
    assert.ok(s.packetsDropped <= s.packetsIn / 2, `${s.packetsDropped} of ${s.packetsIn} packets dropped`);
    const after = await m.stats();
    assert.ok(after.packetsOut < s.packetsOut && after.periodMs < s.periodMs);
    assert.equal(await m.closeBridge('b1'), 1);
    const end = await m.stats();
    assert.equal(end.bridges, 1);
    assert.equal(end.portsInUse, 1);
  });

  it('close is idempotent and later calls reject E_MIXER_CLOSED', async () => {
    const m = await start();
    await m.addMember('b', 'a', { payloadType: 0 });
    await Promise.all([m.close(), m.close()]);
    await assert.rejects(m.addMember('b', 'x', { payloadType: 0 }), coded('E_MIXER_CLOSED'));
  });
});
