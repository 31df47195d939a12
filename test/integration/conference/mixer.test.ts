import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { ConferenceMixer, MixerError } from '../../../features/conference/mixer';
import type { G711PayloadType } from '../../../lib/media/audio/g711';
import { bindExclusive } from '../../../lib/media/port-block';
import { detectTone } from '../../support/goertzel';
import { TonePeer, pcmOf, portRange, type ReceivedFrame } from './tone-peer';

const HOST = '127.0.0.1';
/** frames to let pass after a change (jitter buffer priming, packets in flight) */
const SETTLE = 8;
/** frames analysed: 400 ms */
const WINDOW = 20;

interface Joined {
  id: string;
  freq: number;
  peer: TonePeer;
  port: number;
}

/**
 * This process's own event-loop stalls from now until `stop()`: the time beyond 5 ms
 * between probes, summed over gaps longer than 20 ms.
 */
function stallMeter(): { readonly ms: number; stop(): void } {
  let last = performance.now();
  let ms = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    if (now - last > 20) ms += now - last - 5;
    last = now;
  }, 5);
  return { get ms() { return ms; }, stop: () => clearInterval(probe) };
}

function verdicts(frames: ReceivedFrame[], freqs: number[]): Record<number, string> {
  const pcm = pcmOf(frames);
  return Object.fromEntries(freqs.map((f) => [f, detectTone(pcm, f).verdict]));
}

describe('conference mixer: mix-minus over real RTP', () => {
  let mixer: ConferenceMixer | undefined;
  const peers: TonePeer[] = [];

  beforeEach(async () => {
    mixer = await ConferenceMixer.start({ host: HOST, ...portRange() });
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.close();
    await mixer?.close();
    mixer = undefined;
  });

  async function join(bridge: string, id: string, freq: number, payloadType: G711PayloadType, order?: (slot: number) => number): Promise<Joined> {
    const peer = await TonePeer.open(HOST);
    peers.push(peer);
    const info = await mixer!.addMember(bridge, id, { payloadType });
    await mixer!.setRemote(id, { address: peer.address, port: peer.port });
    peer.send(info, { freq, payloadType, order });
    return { id, freq, peer, port: info.port };
  }

  /** After SETTLE frames, the WINDOW frames each member hears. */
  async function listen(members: Joined[]): Promise<ReceivedFrame[][]> {
    return Promise.all(members.map(async (m) => {
      await m.peer.next(SETTLE);
      return m.peer.next(WINDOW);
    }));
  }

  it('each of three members hears the other two tones and not its own (PCMU, PCMU, PCMA)', async () => {
    const members = [await join('b', 'a', 500, 0), await join('b', 'b', 1100, 0), await join('b', 'c', 1700, 8)];
    const heard = await listen(members);
    members.forEach((m, i) => {
      const expected = Object.fromEntries(members.map((o) => [o.freq, o === m ? 'absent' : 'present']));
      assert.deepEqual(verdicts(heard[i], [500, 1100, 1700]), expected, `member ${m.id}`);
      assert.ok(heard[i].every((f) => f.payloadType === (i === 2 ? 8 : 0)), `member ${m.id} gets its own codec`);
      assert.ok(heard[i].every((f) => f.from.port === m.port), 'sent from the member\'s own port');
    });
  });

  it('a member sending reordered and lossy packets does not stall the others', async () => {
    // slots: pairs swapped (1,0,3,2,...) and every 7th packet lost
    const bad = (slot: number): number => (slot % 7 === 3 ? -1 : slot ^ 1);
    // The clean members' packets are sent from this process: a stall of this process (a
    // busy host) makes them late at the mixer, and the mixer rightly plays silence for
    // them. Those frames are allowed, one per 20 ms of this process's own stalls, and no more.
    const stalls = stallMeter();
    let heardB: ReceivedFrame[];
    let heardC: ReceivedFrame[];
    try {
      const members = [await join('b', 'bad', 500, 0, bad), await join('b', 'b', 1100, 0), await join('b', 'c', 1700, 8)];
      [, heardB, heardC] = await listen(members);
    } finally {
      stalls.stop();
    }
    const excused = Math.ceil(stalls.ms / 20);
    for (const [heard, other] of [[heardB, 1700], [heardC, 1100]] as const) {
      // a packet every tick, one stream, and the clean member's tone in every frame but those excused
      heard.forEach((f, i) => {
        if (i > 0) assert.equal(f.sequence, (heard[i - 1].sequence + 1) & 0xffff);
        if (i > 0) assert.equal(f.timestamp, (heard[i - 1].timestamp + 160) >>> 0);
      });
      const silent = heard.flatMap((f, i) => (detectTone(f.pcm, other).verdict === 'present' ? [] : [i]));
      assert.ok(silent.length <= excused, `the clean member (${other} Hz) was missing in frames ${silent.join(', ')}; `
        + `this process stalled ${stalls.ms.toFixed(0)} ms in all, which excuses ${excused}`);
      assert.equal(verdicts(heard, [500])[500], 'present', 'the lossy member is still heard');
    }
    const s = await mixer!.stats();
    assert.ok(s.framesMissing > 0, 'the losses showed');
  });

  it('a member that leaves is no longer heard, and gets nothing more', async () => {
    const members = [await join('b', 'a', 500, 0), await join('b', 'b', 1100, 0), await join('b', 'c', 1700, 8)];
    const [, before] = await listen(members);
    assert.equal(verdicts(before, [500])[500], 'present');
    await mixer!.removeMember('a');
    const receivedByA = members[0].peer.frames.length;
    const [afterB, afterC] = await listen(members.slice(1));
    assert.deepEqual(verdicts(afterB, [500, 1100, 1700]), { 500: 'absent', 1100: 'absent', 1700: 'present' });
    assert.deepEqual(verdicts(afterC, [500, 1100, 1700]), { 500: 'absent', 1100: 'present', 1700: 'absent' });
    assert.ok(members[0].peer.frames.length <= receivedByA + 1, 'at most one packet in flight after removal');
    await assert.rejects(mixer!.removeMember('a'), (e: unknown) => e instanceof MixerError && e.code === 'E_MIXER_UNKNOWN_MEMBER');
  });

  it('two bridges do not leak into each other', async () => {
    const x = [await join('x', 'x1', 500, 0), await join('x', 'x2', 1100, 8)];
    const y = [await join('y', 'y1', 1700, 0), await join('y', 'y2', 2300, 8)];
    const heard = await listen([...x, ...y]);
    const all = [500, 1100, 1700, 2300];
    assert.deepEqual(verdicts(heard[0], all), { 500: 'absent', 1100: 'present', 1700: 'absent', 2300: 'absent' });
    assert.deepEqual(verdicts(heard[1], all), { 500: 'present', 1100: 'absent', 1700: 'absent', 2300: 'absent' });
    assert.deepEqual(verdicts(heard[2], all), { 500: 'absent', 1100: 'absent', 1700: 'absent', 2300: 'present' });
    assert.deepEqual(verdicts(heard[3], all), { 500: 'absent', 1100: 'absent', 1700: 'present', 2300: 'absent' });
    const s = await mixer!.stats();
    assert.equal(s.bridges, 2);
    assert.equal(s.members, 4);
  });

  it('close frees every port: they can be bound again', async () => {
    const members = [await join('x', 'x1', 500, 0), await join('x', 'x2', 1100, 0), await join('y', 'y1', 1700, 8)];
    await Promise.all(members.map((m) => m.peer.next(2)));
    await mixer!.close();
    for (const m of members) {
      const sock = await bindExclusive(m.port, HOST);
      assert.ok(sock, `port ${m.port} is free again`);
      await new Promise<void>((resolve) => sock.close(() => resolve()));
    }
    await assert.rejects(mixer!.stats(), (e: unknown) => e instanceof MixerError && e.code === 'E_MIXER_CLOSED');
  });
});
