import assert from 'node:assert/strict';
import { defineOp, guards, RequestBus, redisTransport } from '../../../lib/bus';
import { connectRedis, LuaScript, redisHealthCheck, type RedisConnection } from '../../../lib/store';
import { sentinelOf } from '../../../lib/store/sentinel-client';
import { captureLogger, pollUntil, type LogEntry } from '../../support/redis';
import { startSentinelSet, type TestSentinelSet } from '../../support/redis-sentinel';

/** Resolves with the first event for which `match` holds, or rejects after timeoutMs. */
function nextEvent<T>(subscribe: (fn: (v: T) => void) => () => void, match: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${what}: not seen within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = subscribe((v) => {
      if (!match(v)) return;
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

/** An event published on `from`'s bus, as `to`'s bus hears it. */
async function busDelivers(from: RequestBus, to: RequestBus, body: string): Promise<void> {
  const heard = nextEvent<unknown>((fn) => to.on('test.ping', fn), (b) => b === body, 5000, `bus event '${body}'`);
  await from.publish('test.ping', body);
  await heard;
}

describe('store: Redis through Sentinel (REDIS_URL=redis+sentinel://...)', function () {
  this.timeout(60000);
  let set: TestSentinelSet;

  before(async () => {
    set = await startSentinelSet();
  });

  after(async () => {
    await set?.stop();
  });

  it('writes go to the master the Sentinels name', async () => {
    const { logger } = captureLogger();
    const conn = await connectRedis(set.url, logger, { name: 'sentinel-write' });
    try {
      const [masterPort] = await set.mastersNamed();
      await conn.client.set('written-through-sentinel', 'yes');
      assert.equal(await set.command(masterPort, ['GET', 'written-through-sentinel']), 'yes');
      assert.match(String(await set.command(masterPort, ['INFO', 'replication'])), /role:master/);
      assert.match(String(await set.command(masterPort, ['CLIENT', 'LIST'])), /name=sentinel-write/);
      assert.equal(await redisHealthCheck(conn.client)().then((h) => h.ok), true);
    } finally {
      await conn.close();
    }
  });

  it('gives up at start-up when no Sentinel answers, with a clear error', async () => {
    const { logger, logs } = captureLogger();
    const dead = 'redis+sentinel://:pw@127.0.0.1:1/feature-server';
    await assert.rejects(connectRedis(dead, logger, { startupRetries: 1 }), /Redis master 'feature-server' not found through the Sentinels at redis\+sentinel:\/\/:\*\*\*@127\.0\.0\.1:1/);
    assert.equal(logs.filter((l) => l.level === 'error' && l.message === 'redis connection error').length, 1);
  });

  it('keeps the same client working when the master is killed: the Sentinels promote the replica', async () => {
    const a = captureLogger();
    const b = captureLogger();
    // enough rediscoveries (about 1 s apart) to wait out the fail-over
    const connA = await connectRedis(set.url, a.logger, { name: 'fs-a', startupRetries: 20, maxDelayMs: 200 });
    const connB = await connectRedis(set.url, b.logger, { name: 'fs-b', startupRetries: 20, maxDelayMs: 200 });
    const conns: RedisConnection[] = [connA, connB];
    const buses: RequestBus[] = [];
    try {
      const busA = await RequestBus.start(redisTransport(connA.client, a.logger), 'fs-a', a.logger);
      buses.push(busA);
      const busB = await RequestBus.start(redisTransport(connB.client, b.logger), 'fs-b', b.logger);
      buses.push(busB);
      const echo = defineOp('test.echo', { args: guards.str({ max: 64 }), result: guards.obj({ echoed: guards.str({ max: 64 }) }) });
      busB.serve(echo, (body) => ({ echoed: body }));

      const [oldMaster] = await set.mastersNamed();
      assert.equal(oldMaster, set.master.port);
      const lua = new LuaScript("return redis.call('GET', KEYS[1])");
      await connA.client.set('before-failover', 'kept');
      assert.equal(await lua.run(connA.client, ['before-failover'], []), 'kept');
      // WAIT: the replica has the key before the master dies (replication is asynchronous)
      assert.equal(await set.command(oldMaster, ['WAIT', '1', '2000']), 1);
      await busDelivers(busA, busB, 'before');
      assert.deepEqual(await busA.request('fs-b', echo, 'hi', { timeoutMs: 2000 }), { echoed: 'hi' });

      const sentinelA = sentinelOf(connA.client);
      assert.ok(sentinelA);
      const masterChange = nextEvent<{ type: string; node?: { port: number } }>((fn) => {
        sentinelA.on('topology-change', fn);
        return () => sentinelA.off('topology-change', fn);
      }, (e) => e.type === 'MASTER_CHANGE' && e.node?.port === set.replica.port, 30000, 'MASTER_CHANGE to the replica');
      const killedAt = Date.now();
      await set.master.kill();
      // issued while the master is gone: waits for the new master instead of failing
      const writeDuringOutage = connA.client.set('during-failover', 'waited');

      await masterChange;
      const clientFollowedMs = Date.now() - killedAt;
      await set.waitForMaster(set.replica.port, 30000);
      const sentinelsAgreedMs = Date.now() - killedAt;
      console.log(`    master SIGKILLed: the client was on the promoted replica after ${clientFollowedMs} ms, `
        + `all Sentinels named it after ${sentinelsAgreedMs} ms`);

      assert.equal(await writeDuringOutage, 'OK');
      assert.equal(await connA.client.get('before-failover'), 'kept', 'a replicated key survives the fail-over');
      await connA.client.set('after-failover', 'new');
      assert.equal(await set.command(set.replica.port, ['GET', 'after-failover']), 'new', 'new writes land on the promoted replica');
      assert.equal(await set.command(set.replica.port, ['GET', 'during-failover']), 'waited');
      assert.match(String(await set.command(set.replica.port, ['INFO', 'replication'])), /role:master/);
      assert.equal(await lua.run(connA.client, ['after-failover'], []), 'new', 'EVALSHA falls back to EVAL on the new master');
      assert.deepEqual(await connA.client.multi().incr('counter').incr('counter').exec(), [1, 2]);
      assert.equal(await connB.client.get('after-failover'), 'new', 'the other instance follows too');
      assert.equal((await redisHealthCheck(connA.client)()).ok, true);

      // The instance bus: each subscriber connection moves to the new master when its own
      // Sentinel client hears of the fail-over, and pub/sub keeps nothing for a subscriber
      // not yet there, so wait until both are subscribed on the new master.
      await pollUntil(() => busA.alive('fs-b'), (up) => up, 10000, 'fs-b subscribed on the new master');
      await pollUntil(() => busB.alive('fs-a'), (up) => up, 10000, 'fs-a subscribed on the new master');
      await busDelivers(busA, busB, 'after');
      await busDelivers(busB, busA, 'after, the other way');
      assert.deepEqual(await busA.request('fs-b', echo, 'again', { timeoutMs: 2000 }), { echoed: 'again' });

      assertOutageLogged(a.logs);
    } finally {
      for (const bus of buses) await bus.close();
      for (const conn of conns) await conn.close();
    }
    assert.equal(connA.client.isOpen, false);
    assert.equal(connB.client.isOpen, false);
  });
});

/** One error line for the outage, the fail-over named, and the recovery. */
function assertOutageLogged(logs: LogEntry[]): void {
  const store = logs.filter((l) => l.component === 'redis');
  const errors = store.filter((l) => l.level === 'error');
  assert.equal(errors.length, 1, `one error line per outage: ${JSON.stringify(errors)}`);
  assert.equal(errors[0].message, 'redis connection error');
  assert.ok(store.some((l) => l.level === 'warn' && l.message === 'redis master changed (Sentinel fail-over)'), 'the fail-over is logged');
  assert.ok(store.some((l) => l.level === 'warn' && l.message === 'redis reconnected'), 'the recovery is logged');
}
