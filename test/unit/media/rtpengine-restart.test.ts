import assert from 'node:assert/strict';
import winston from 'winston';
import { observeUptime, RtpengineRestartWatch } from '../../../lib/media';
import { uptimeOf } from '../../../lib/media/rtpengine-anchor';

const logger = winston.createLogger({ silent: true });

describe('rtpengine restart watch', () => {
  it('the first look sets the start time and is no restart', () => {
    assert.deepEqual(observeUptime(undefined, 30, 100000), { startedAt: 70000, restarted: false });
  });

  it('an uptime that keeps pace with our clock (whole seconds, late replies) is the same rtpengine', () => {
    const first = observeUptime(undefined, 30, 100000);
    // 1.9 s later it still says 31 (rounding down) and the reply took a while
    const r = observeUptime(first.startedAt, 31, 101900);
    assert.equal(r.restarted, false);
    assert.equal(r.startedAt, 70000, 'the earliest estimate is kept');
  });

  it('an uptime that fell back is a restart, and the new start time is kept', () => {
    const r = observeUptime(70000, 0, 101000);
    assert.deepEqual(r, { startedAt: 101000, restarted: true });
    assert.equal(observeUptime(r.startedAt, 2, 103000).restarted, false, 'reported once');
  });

  it('reads the uptime of an ng statistics reply; anything else is unknown', () => {
    assert.equal(uptimeOf({ result: 'ok', statistics: { totalstatistics: { uptime: '42' } } } as never), 42);
    assert.equal(uptimeOf({ result: 'ok' } as never), undefined);
    assert.equal(uptimeOf({ result: 'ok', statistics: { totalstatistics: { uptime: 'x' } } } as never), undefined);
  });

  it('polls: reports a restart once, ignores an rtpengine that does not answer', async () => {
    let now = 100000;
    const answers: Array<number | undefined> = [30, undefined, 32, 0, 1];
    let restarts = 0;
    const w = new RtpengineRestartWatch({ uptime: async () => answers.shift(), onRestart: () => restarts++, now: () => now, logger });
    const seen: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      seen.push(await w.poll());
      now += 1000;
    }
    assert.deepEqual(seen, [false, false, false, true, false]);
    assert.equal(restarts, 1);
  });
});
