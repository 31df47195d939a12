import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connectRedis, startRedis } from '../../../lib/store';
import { alive } from '../../support/processes';
import { captureLogger, pollUntil } from '../../support/redis';

describe('store: redis-server process', function () {
  this.timeout(20000);

  it('starts on 127.0.0.1 without persistence in its own temp dir, and stop leaves nothing', async () => {
    const { logger } = captureLogger();
    const server = await startRedis({ logger });
    const conn = await connectRedis(server.url, logger);
    try {
      assert.match(server.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(await conn.client.ping(), 'PONG');
      const config = await conn.client.configGet(['save', 'appendonly', 'dir', 'bind']);
      assert.equal(config.save, '');
      assert.equal(config.appendonly, 'no');
      assert.equal(config.bind, '127.0.0.1');
      assert.match(config.dir, /feature-server-redis-/);
      await conn.close();
      const pid = server.pid;
      await server.stop();
      assert.equal(alive(pid), false, 'the process is gone');
      assert.equal(existsSync(config.dir), false, 'the temp dir is gone');
    } finally {
      await conn.close();
      await server.stop();
    }
  });

  it('restarts on the same port after an unexpected exit, logs it, and clients reconnect', async () => {
    const { logger, logs } = captureLogger();
    const server = await startRedis({ logger });
    const conn = await connectRedis(server.url, logger);
    try {
      const first = server.pid;
      process.kill(first, 'SIGKILL');
      await pollUntil(async () => server.pid, (pid) => pid !== first, 10000, 'a new redis-server pid');
      const pong = await pollUntil(() => conn.client.ping().catch(() => 'down'), (r) => r === 'PONG', 10000, 'client reconnected');
      assert.equal(pong, 'PONG');
      assert.ok(logs.some((l) => l.level === 'error' && /exited unexpectedly/.test(l.message)), 'the exit was logged');
      assert.ok(logs.some((l) => /redis-server restarted/.test(l.message)), 'the restart was logged');
    } finally {
      await conn.close();
      await server.stop();
    }
  });

  it('uses the port it is given', async () => {
    const { logger } = captureLogger();
    const probe = await startRedis({ logger });
    const port = probe.port;
    await probe.stop();
    const server = await startRedis({ logger, port });
    try {
      assert.equal(server.url, `redis://127.0.0.1:${port}`);
    } finally {
      await server.stop();
    }
  });

  it('fails clearly when the binary cannot run', async () => {
    const { logger } = captureLogger();
    await assert.rejects(startRedis({ logger, binary: '/nonexistent/redis-server' }), /cannot run/);
  });
});
