import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { SubscriptionBudget, DEFAULT_SUBSCRIPTION_LIMITS } from '../../../lib/sip/subscription-limits';
import { grantOrRefuse, secondsLeft, takeOrRefuse } from '../../../features/presence/subscription-core';
import { SubscriptionIndex } from '../../../features/presence/subscription-index';

function response() {
  const sent: Array<{ status: number; headers?: Record<string, string> }> = [];
  const res = { send: (status: number, _r?: string, o?: { headers?: Record<string, string> }) => sent.push({ status, headers: o?.headers }) } as unknown as Srf.SrfResponse;
  return { res, sent };
}

describe('presence: the subscription core', () => {
  it('indexes subscriptions by key, dropping empty keys, and lists copies', () => {
    const idx = new SubscriptionIndex<string>();
    idx.add('a', 'x');
    idx.add('a', 'y');
    idx.add('b', 'z');
    const copy = idx.get('a');
    idx.delete('a', 'x');
    assert.deepEqual(copy, ['x', 'y'], 'a copy: ending one while going through is safe');
    assert.deepEqual(idx.get('a'), ['y']);
    idx.delete('a', 'y');
    assert.deepEqual(idx.get('a'), []);
    assert.deepEqual(idx.all(), ['z']);
  });

  it('answers 423 with Min-Expires for a too brief expiry, and grants the rest (RFC 6665 4.2.1.1)', () => {
    const limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, minExpires: 60 };
    const brief = response();
    assert.equal(grantOrRefuse({ get: () => '10' } as unknown as Srf.SrfRequest, brief.res, limits), undefined);
    assert.deepEqual(brief.sent, [{ status: 423, headers: { 'Min-Expires': '60' } }]);
    const ok = response();
    assert.equal(grantOrRefuse({ get: () => '0' } as unknown as Srf.SrfRequest, ok.res, limits), 0, 'Expires 0 is a fetch');
    assert.deepEqual(ok.sent, []);
  });

  it('answers 403 when the subscriber has too many and gives the place back on release', () => {
    const budget = new SubscriptionBudget({ ...DEFAULT_SUBSCRIPTION_LIMITS, maxPerSubscriber: 1 });
    const first = response();
    const release = takeOrRefuse(first.res, budget, 'alice', 'r1');
    assert.ok(release);
    const second = response();
    assert.equal(takeOrRefuse(second.res, budget, 'alice', 'r2'), undefined);
    assert.equal(second.sent[0].status, 403);
    release();
    assert.ok(takeOrRefuse(response().res, budget, 'alice', 'r2'));
  });

  it('counts the seconds left for Subscription-State, never below 0', () => {
    assert.equal(secondsLeft(10_400, 1000), 9);
    assert.equal(secondsLeft(500, 1000), 0);
  });
});
