import assert from 'node:assert/strict';
import { grantExpires, NotifyResponsiveness, SubscriptionBudget } from '../../../lib/sip/subscription-limits';

describe('sip: subscription limits', () => {
  const limits = { minExpires: 30, maxExpires: 600 };

  it('shortens an Expires over the maximum and never lengthens one (RFC 6665 4.2.1.1)', () => {
    assert.deepEqual(grantExpires('3600', limits), { kind: 'grant', expires: 600 });
    assert.deepEqual(grantExpires('120', limits), { kind: 'grant', expires: 120 });
    assert.deepEqual(grantExpires(' 30 ', limits), { kind: 'grant', expires: 30 });
  });

  it('answers a non-zero Expires under the minimum with 423 and Min-Expires, and takes 0 as a fetch', () => {
    assert.deepEqual(grantExpires('5', limits), { kind: 'too-brief', minExpires: 30 });
    assert.deepEqual(grantExpires('0', limits), { kind: 'grant', expires: 0 });
  });

  it('takes a missing or malformed Expires as the maximum, whatever its length', () => {
    for (const v of [undefined, '', 'abc', '-5', '1e9', '99999999999999999999', '12 34', '0x10']) {
      assert.deepEqual(grantExpires(v, limits), { kind: 'grant', expires: 600 }, String(v));
    }
  });

  it('caps subscriptions per subscriber, per resource and in all, and frees them on release (once)', () => {
    const b = new SubscriptionBudget({ maxPerSubscriber: 2, maxPerResource: 3, maxTotal: 5 });
    const r1 = b.take('t~alice', 't~100');
    const r2 = b.take('t~alice', 't~101');
    assert.ok('release' in r1 && 'release' in r2);
    assert.deepEqual(b.take('t~alice', 't~102'), { refused: 'subscriber' });
    assert.ok('release' in b.take('t~bob', 't~100'));
    assert.ok('release' in b.take('t~carol', 't~100'));
    assert.deepEqual(b.take('t~dave', 't~100'), { refused: 'resource' });
    assert.ok('release' in b.take('t~dave', 't~200'));
    assert.equal(b.size, 5);
    assert.deepEqual(b.take('t~erin', 't~300'), { refused: 'total' });
    r1.release();
    r1.release();
    assert.equal(b.size, 4);
    assert.ok('release' in b.take('t~alice', 't~102'), 'alice has room again after one ended');
    assert.deepEqual(b.take('t~erin', 't~300'), { refused: 'total' });
  });

  describe('NOTIFY responsiveness (issue #13: no NOTIFY amplifier)', () => {
    let t = 0;
    const make = (maxInFlight = 10): NotifyResponsiveness =>
      new NotifyResponsiveness({ unansweredNotifyMs: 2000, unresponsiveHoldMs: 60000, maxInFlight }, () => t);
    beforeEach(() => {
      t = 1000;
    });

    it('lets a subscriber that answers its NOTIFYs subscribe at once, however many it had', () => {
      const r = make();
      for (let i = 0; i < 50; i++) {
        const done = r.sent('t~alice');
        t += 5;
        done('answered');
      }
      assert.equal(r.retryAfter('t~alice'), 0);
      assert.equal(r.tracked, 0, 'nothing kept for it');
    });

    it('holds back a subscriber whose NOTIFY is unanswered past unansweredNotifyMs, until it answers', () => {
      const r = make();
      const done = r.sent('t~alice');
      t += 1999;
      assert.equal(r.retryAfter('t~alice'), 0, 'a NOTIFY being retransmitted a little is no reason yet');
      t += 1;
      assert.equal(r.retryAfter('t~alice'), 60);
      assert.equal(r.retryAfter('t~bob'), 0, 'only that subscriber');
      done('answered');
      assert.equal(r.retryAfter('t~alice'), 0);
    });

    it('holds back a subscriber for unresponsiveHoldMs after its NOTIFY timed out, with the seconds left', () => {
      const r = make();
      const done = r.sent('t~alice');
      t += 32000;
      done('timeout');
      done('answered');
      assert.equal(r.retryAfter('t~alice'), 60, 'a second call of done changes nothing');
      t += 30500;
      assert.equal(r.retryAfter('t~alice'), 30);
      t += 29500;
      assert.equal(r.retryAfter('t~alice'), 0);
      assert.equal(r.tracked, 0);
    });

    it('holds back a subscriber with maxInFlight NOTIFYs unanswered, however young', () => {
      const r = make(3);
      const dones = [r.sent('t~alice'), r.sent('t~alice')];
      assert.equal(r.retryAfter('t~alice'), 0);
      dones.push(r.sent('t~alice'));
      assert.equal(r.retryAfter('t~alice'), 60);
      dones[1]('answered');
      assert.equal(r.retryAfter('t~alice'), 0);
    });
  });
});
