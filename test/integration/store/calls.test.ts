import assert from 'node:assert/strict';
import { CallRepository, type CallRecord } from '../../../lib/store';
import { allKeys, assertKeyspace, pollUntil, startTestRedis, type TestRedis } from '../../support/redis';

function call(id: string, createdAt = Date.now()): CallRecord {
  return {
    id, tenant: 'example.com', state: 'ringing', mediaCallId: `media-${id}`, createdAt, instanceId: 'fs-1',
    caller: { user: 'alice', tenant: 'example.com', callId: `a-${id}`, tag: 'ta', uri: 'sip:alice@example.com' },
    callee: { user: 'bob', tenant: 'example.com', callId: `b-${id}`, tag: 'tb', uri: 'sip:bob@example.com' },
  };
}

describe('store: calls', function () {
  this.timeout(20000);
  let redis: TestRedis;
  let calls: CallRepository;

  before(async () => {
    redis = await startTestRedis();
    calls = new CallRepository(redis.client);
  });
  after(async () => redis?.stop());
  beforeEach(async () => redis.flush());

  it('saves, updates, gets and lists, oldest first', async () => {
    await calls.save(call('c2', 2000));
    await calls.save(call('c1', 1000));
    const answered: CallRecord = { ...call('c1', 1000), state: 'answered', answeredAt: 1500, held: { callee: 1600 } };
    await calls.save(answered);
    assert.deepEqual(await calls.get('c1'), answered);
    assert.equal(await calls.get('nope'), null);
    assert.deepEqual((await calls.list()).map((c) => c.id), ['c1', 'c2']);
  });

  it('claim moves a record from its dead owner to one new owner, dialogs intact (an empty route set stays an array)', async () => {
    const snap = { callId: 'a-c1', localTag: 'x', remoteTag: 'ta', local: '<sip:b@t>;tag=x', remote: '<sip:a@t>;tag=ta', target: 'sip:a@127.0.0.1', routes: [], sdp: 'v=0\r\n"instanceId":"fs-1"' };
    const rec: CallRecord = { ...call('c1'), state: 'answered', dialogs: { caller: snap, callee: { ...snap, routes: ['<sip:p;lr>'] } } };
    await calls.save(rec);
    const before = await redis.client.pTTL('call:c1');
    assert.deepEqual(await calls.claim('c1', 'fs-1', 'fs-2'), { ...rec, instanceId: 'fs-2' });
    // a second claimant (the same dead owner seen by another instance) gets nothing
    assert.equal(await calls.claim('c1', 'fs-1', 'fs-3'), null);
    assert.deepEqual(await calls.get('c1'), { ...rec, instanceId: 'fs-2' });
    assert.ok(Math.abs((await redis.client.pTTL('call:c1')) - before) < 5000, 'the TTL kept');
    assert.equal(await calls.claim('nope', 'fs-1', 'fs-2'), null);
  });

  it('puts a TTL on every key (24 h by default)', async () => {
    await calls.save(call('c1'));
    const found = await assertKeyspace(redis.client);
    assert.deepEqual(found.map((k) => k.key), ['call:c1', 'calls']);
    for (const { pttl } of found) assert.ok(pttl > 23 * 3600 * 1000 && pttl <= 24 * 3600 * 1000, `pttl ${pttl}`);
  });

  it('removes everything, and says whether there was anything', async () => {
    await calls.save(call('c1'));
    await calls.save(call('c2'));
    assert.equal(await calls.remove('c1'), true);
    assert.equal(await calls.remove('c1'), false);
    assert.equal(await calls.remove('c2'), true);
    assert.deepEqual(await allKeys(redis.client), []);
    assert.deepEqual(await calls.list(), []);
  });

  it('forgets a call whose owner never removed it once the safety-net TTL runs out', async () => {
    const short = new CallRepository(redis.client, { ttlSeconds: 1 });
    await short.save(call('orphan'));
    await calls.save(call('kept'));
    const left = await pollUntil(() => calls.list(), (l) => l.length === 1, 5000, 'orphan expired');
    assert.equal(left[0].id, 'kept');
    assert.deepEqual(await redis.client.sMembers('calls'), ['kept'], 'the stale id was pruned');
    assert.ok((await redis.client.pTTL('calls')) > 23 * 3600 * 1000, "a shorter TTL did not cut the set's short");
  });
});
