import assert from 'node:assert/strict';
import { grantExpires, SubscriptionBudget } from '../../../lib/sip/subscription-limits';

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
});
