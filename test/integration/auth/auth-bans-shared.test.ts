import assert from 'node:assert/strict';
import { AuthFailures, BanList } from '../../../lib/security';
import { NonceCountStore } from '../../../lib/store';
import { RequestBus, redisTransport } from '../../../lib/bus';
import { assertKeyspace, captureLogger, pollUntil, startTestRedis, type TestRedis } from '../../support/redis';

/**
 * Bans and nonce-counts are shared state: a ban decided on one instance is enforced by
 * every other (told over the bus, and re-read from Redis for one that missed it), every
 * key they leave has a TTL, and a nonce-count is claimed by exactly one of many
 * concurrent claimants.
 */
describe('auth: bans and nonce-counts shared by instances (Redis)', function () {
  this.timeout(20000);
  let redis: TestRedis;
  const { logger } = captureLogger();
  const closers: Array<() => Promise<void> | void> = [];

  before(async () => {
    redis = await startTestRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => redis.flush());
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  async function instance(name: string, opts: { bus?: boolean; refreshMs?: number } = {}): Promise<{ bans: BanList; failures: AuthFailures }> {
    const bus = opts.bus === false ? undefined : await RequestBus.start(redisTransport(redis.client, logger), name, logger);
    if (bus) closers.push(() => bus.close());
    const bans = new BanList(redis.client, { banMs: 60_000, refreshMs: opts.refreshMs, logger });
    await bans.start(bus);
    closers.push(() => bans.stop());
    return { bans, failures: new AuthFailures(redis.client, bans, { limit: 3, windowMs: 10_000, logger }) };
  }

  it('failures on two instances add up; the ban reaches the other over the bus; unban too', async () => {
    const a = await instance('fs-a');
    const b = await instance('fs-b');
    assert.deepEqual(await a.failures.record('192.0.2.1'), { failures: 1, banned: false });
    assert.deepEqual(await b.failures.record('192.0.2.1'), { failures: 2, banned: false });
    assert.deepEqual(await a.failures.record('192.0.2.1'), { failures: 3, banned: true });
    assert.equal(a.bans.isBanned('192.0.2.1'), true);
    await pollUntil(async () => b.bans.isBanned('192.0.2.1'), Boolean, 5000, 'ban heard by fs-b');
    assert.equal(b.bans.isBanned('192.0.2.2'), false);
    const keys = await assertKeyspace(redis.client);
    const ban = keys.find((k) => k.key === 'ban:192.0.2.1');
    assert.ok(ban && ban.pttl > 50_000 && ban.pttl <= 60_000, JSON.stringify(keys));
    assert.deepEqual((await b.bans.list()).map((x) => [x.address, x.failures]), [['192.0.2.1', 3]]);
    assert.equal(await b.bans.unban('192.0.2.1'), true);
    await pollUntil(async () => a.bans.isBanned('192.0.2.1'), (v) => !v, 5000, 'unban heard by fs-a');
    assert.equal(await b.bans.unban('192.0.2.1'), false);
  });

  it('an instance that missed the event (no bus) learns the ban from Redis at its next refresh', async () => {
    const a = await instance('fs-a');
    const deaf = await instance('fs-deaf', { bus: false, refreshMs: 100 });
    await a.bans.ban('192.0.2.7', 10);
    await pollUntil(async () => deaf.bans.isBanned('192.0.2.7'), Boolean, 5000, 'ban read from Redis');
  });

  it('of 20 concurrent claims of one nonce-count exactly one wins; the record expires', async () => {
    // a second connection plays the other instance
    const other = redis.client.duplicate();
    await other.connect();
    closers.push(async () => void (await other.quit()));
    const stores = [new NonceCountStore(redis.client), new NonceCountStore(other as typeof redis.client)];
    const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2].claim('n1.s.mac', '00000001', 5000)));
    assert.equal(wins.filter(Boolean).length, 1);
    assert.equal(await stores[0].claim('n1.s.mac', '00000002', 5000), true);
    const keys = await assertKeyspace(redis.client);
    assert.ok(keys.every((k) => k.pttl > 0 && k.pttl <= 5000), JSON.stringify(keys));
  });
});
