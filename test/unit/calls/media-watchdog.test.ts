import assert from 'node:assert/strict';
import winston from 'winston';
import { MediaWatchdog, observeMedia, type WatchedCall } from '../../../lib/calls';
import { packetsOf } from '../../../lib/media/rtpengine-anchor';

const T = 60000;
const logger = winston.createLogger({ silent: true });

describe('media watchdog: the decision', () => {
  const sample = (packets: number | undefined, held = false, mediaCallId = 'm1') => ({ mediaCallId, packets, held });

  it('a call first seen is alive, with its clock started now', () => {
    const r = observeMedia(undefined, sample(0), 1000, T);
    assert.equal(r.dead, false);
    assert.deepEqual(r.seen, { mediaCallId: 'm1', packets: 0, since: 1000 });
  });

  it('a count standing still for the whole timeout is dead; a moment less is not', () => {
    const seen = { mediaCallId: 'm1', packets: 50, since: 1000 };
    assert.equal(observeMedia(seen, sample(50), 1000 + T - 1, T).dead, false);
    assert.equal(observeMedia(seen, sample(50), 1000 + T, T).dead, true);
  });

  it('a count that moved restarts the clock', () => {
    const seen = { mediaCallId: 'm1', packets: 50, since: 1000 };
    const r = observeMedia(seen, sample(51), 1000 + T * 2, T);
    assert.equal(r.dead, false);
    assert.equal(r.seen.since, 1000 + T * 2);
  });

  it('a held call, a call re-anchored into another session, and an unknown count never end it and restart the clock', () => {
    const seen = { mediaCallId: 'm1', packets: 50, since: 1000 };
    for (const s of [sample(50, true), sample(50, false, 'm2'), sample(undefined)]) {
      const r = observeMedia(seen, s, 1000 + T * 10, T);
      assert.equal(r.dead, false, JSON.stringify(s));
      assert.equal(r.seen.since, 1000 + T * 10);
    }
  });
});

describe('media watchdog: sweeps', () => {
  it('hangs up only the call whose media stopped, once, and forgets calls that are gone', async () => {
    let now = 0;
    const counts = new Map([['m-live', 0], ['m-dead', 7]]);
    let calls: WatchedCall[] = [
      { id: 'live', mediaCallId: 'm-live', held: false },
      { id: 'dead', mediaCallId: 'm-dead', held: false },
      { id: 'held', mediaCallId: 'm-held', held: true },
    ];
    const hungUp: string[] = [];
    const queried: string[] = [];
    const w = new MediaWatchdog({
      calls: () => calls,
      packets: async (id) => {
        queried.push(id);
        return counts.get(id) ?? 0;
      },
      hangup: (id, reason) => hungUp.push(`${id}:${reason}`),
      timeoutMs: 1000, now: () => now, logger,
    });
    assert.deepEqual(await w.sweep(), []);
    assert.ok(!queried.includes('m-held'), 'a held call is not even asked about');
    for (now = 500; now <= 1000; now += 500) {
      counts.set('m-live', (counts.get('m-live') ?? 0) + 25);
      await w.sweep();
    }
    assert.deepEqual(hungUp, ['dead:media-timeout']);
    calls = calls.filter((c) => c.id !== 'dead');
    now = 5000;
    counts.set('m-live', 999);
    assert.deepEqual(await w.sweep(), [], 'the live call moved, the held one is exempt');
  });
});

describe('packetsOf: rtpengine query reply', () => {
  it('sums the packets of every stream of every party', () => {
    const stream = (n: number) => ({ stats: { packets: n } });
    const reply = { result: 'ok', tags: { a: { medias: [{ streams: [stream(20), stream(3)] }] }, b: { medias: [{ streams: [stream(5), { stats: {} }] }] } } };
    assert.equal(packetsOf(reply as never), 28);
  });

  it('no tags: unknown', () => {
    assert.equal(packetsOf({ result: 'ok' } as never), undefined);
  });
});
