import assert from 'node:assert/strict';
import { SessionTimer } from '../../../lib/calls/session-timer';

/** Short intervals (fractions of a second) stand for RFC 4028's minutes. */
describe('session timer (RFC 4028 10)', () => {
  function expiry(): { fired: string[]; done: Promise<string> ; cb: (why: string) => void } {
    const fired: string[] = [];
    let resolve: (why: string) => void = () => undefined;
    const done = new Promise<string>((r) => (resolve = r));
    return { fired, done, cb: (why) => {
      fired.push(why);
      resolve(why);
    } };
  }

  it('as refresher: refreshes at half the interval while the peer answers 2xx, ends on 481', async () => {
    const e = expiry();
    const answers = [200, 200, 481];
    let sent = 0;
    const t = new SessionTimer({ expiresS: 0.2, weRefresh: true, refresh: async () => answers[sent++] ?? 200, expired: e.cb });
    t.start();
    assert.equal(await e.done, 'refresh-failed');
    assert.equal(sent, 3);
    assert.deepEqual(e.fired, ['refresh-failed'], 'once');
    t.stop();
  });

  it('as refresher: a refresh that times out ends the session; a 491 is tried again', async () => {
    const e = expiry();
    const answers: Array<number | 'timeout'> = [491, 'timeout'];
    let sent = 0;
    const t = new SessionTimer({ expiresS: 0.4, weRefresh: true, expired: e.cb, refresh: async () => {
      const a = answers[sent++];
      if (a === 'timeout') throw new Error('timed out');
      return a ?? 200;
    } });
    t.start();
    assert.equal(await e.done, 'refresh-failed');
    assert.equal(sent, 2, 'the 491 was retried');
  });

  it('watching: the peer\'s refreshes keep it; without them it ends before the interval is over', async () => {
    const e = expiry();
    const t = new SessionTimer({ expiresS: 0.3, weRefresh: false, refresh: async () => 200, expired: e.cb });
    const started = Date.now();
    t.start();
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      t.touch();
    }
    assert.deepEqual(e.fired, [], 'kept alive by touches for longer than the interval');
    assert.equal(await e.done, 'no-refresh');
    const ms = Date.now() - started;
    // the last touch at ~400 ms, then interval less a third: ~200 ms
    assert.ok(ms >= 550, `${ms} ms`);
  });

  it('stopped: nothing fires', async () => {
    const e = expiry();
    const t = new SessionTimer({ expiresS: 0.1, weRefresh: false, refresh: async () => 200, expired: e.cb });
    t.start();
    t.stop();
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(e.fired, []);
  });
});
