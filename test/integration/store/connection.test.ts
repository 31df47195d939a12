import assert from 'node:assert/strict';
import net from 'node:net';
import { connectRedis, isStoreUnavailable, startRedis } from '../../../lib/store';
import { captureLogger, pollUntil } from '../../support/redis';

function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('store: redis connection', function () {
  this.timeout(20000);

  it('gives up at start-up after the bounded retries, with a clear error and no unhandled event', async () => {
    const { logger, logs } = captureLogger();
    const port = await deadPort();
    await assert.rejects(connectRedis(`redis://127.0.0.1:${port}`, logger, { startupRetries: 2, maxDelayMs: 50 }), /unreachable after 2 attempts/);
    assert.ok(logs.some((l) => l.level === 'error' && l.message === 'redis connection error'));
  });

  it('fails commands fast while Redis is down, then reconnects by itself', async () => {
    const { logger, logs } = captureLogger();
    const server = await startRedis({ logger });
    const conn = await connectRedis(server.url, logger, { maxDelayMs: 200 });
    try {
      await conn.client.set('k', 'v');
      const pid = server.pid;
      process.kill(pid, 'SIGSTOP'); // hold the restart off until we have seen the failure
      process.kill(pid, 'SIGKILL');
      const err = await pollUntil(() => conn.client.get('k').then(() => null, (e: unknown) => e), (e) => e !== null, 5000, 'a failing command');
      assert.ok(isStoreUnavailable(err), `store-unavailable error, got ${String(err)}`);
      await pollUntil(() => conn.client.ping().catch(() => 'down'), (r) => r === 'PONG', 10000, 'reconnected');
      assert.equal(logs.filter((l) => l.message === 'redis connection error').length, 1, 'one error line per outage');
      assert.ok(logs.some((l) => l.message === 'redis reconnected'));
    } finally {
      await conn.close();
      await server.stop();
    }
  });

  it('closes promptly while Redis is down', async () => {
    const { logger } = captureLogger();
    const server = await startRedis({ logger });
    const conn = await connectRedis(server.url, logger, { maxDelayMs: 100 });
    await server.stop();
    await pollUntil(async () => conn.client.isReady, (ready) => !ready, 5000, 'client noticed');
    const started = Date.now();
    await conn.close();
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
    assert.equal(conn.client.isOpen, false);
  });

  it('close is idempotent', async () => {
    const { logger } = captureLogger();
    const server = await startRedis({ logger });
    try {
      const conn = await connectRedis(server.url, logger);
      await conn.close();
      await conn.close();
      assert.equal(conn.client.isOpen, false);
    } finally {
      await server.stop();
    }
  });
});
