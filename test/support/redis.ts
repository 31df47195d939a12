import { Writable } from 'node:stream';
import winston, { type Logger } from 'winston';
import { connectRedis, specOf, startRedis, type RedisClient, type RedisConnection, type RedisProcess } from '../../lib/store';

/** A real redis-server for one test file: start it in `before`, stop it in `after`. */
export interface TestRedis {
  url: string;
  server: RedisProcess;
  connection: RedisConnection;
  client: RedisClient;
  /** everything the store logged, parsed */
  logs: LogEntry[];
  /** FLUSHALL, so each test starts from an empty store */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface LogEntry {
  level: string;
  message: string;
  [k: string]: unknown;
}

/**
 * A logger that keeps what it is given for assertions; with TEST_LOG=1 it also prints,
 * to see what the store said when a test fails.
 */
export function captureLogger(): { logger: Logger; logs: LogEntry[] } {
  const logs: LogEntry[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(JSON.parse(chunk.toString()) as LogEntry);
      done();
    },
  });
  const transports: winston.transport[] = [new winston.transports.Stream({ stream: sink })];
  if (process.env.TEST_LOG) transports.push(new winston.transports.Console());
  const logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports });
  return { logger, logs };
}

export async function startTestRedis(): Promise<TestRedis> {
  const { logger, logs } = captureLogger();
  const server = await startRedis({ logger });
  const connection = await connectRedis(server.url, logger, { name: 'test' });
  return {
    url: server.url,
    server,
    connection,
    client: connection.client,
    logs,
    flush: async () => {
      await connection.client.flushAll();
    },
    async stop() {
      await connection.close();
      await server.stop();
    },
  };
}

/** Every key in the store with its PTTL in ms (-1: none). */
export async function allKeys(client: RedisClient): Promise<Array<{ key: string; pttl: number }>> {
  const found: string[] = [];
  for await (const batch of client.scanIterator({ COUNT: 100 })) found.push(...batch);
  const out: Array<{ key: string; pttl: number }> = [];
  for (const key of found.sort()) out.push({ key, pttl: await client.pTTL(key) });
  return out;
}

/**
 * Polls `read` until `done` holds or the deadline passes (then fails with the last value
 * seen): for waiting on real expiry without guessing a sleep.
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * DESIGN: every key has a TTL or an owner that deletes it, and lib/store names every key.
 * Fails on a key that no KEYSPACE line declares, or a 'ttl' key without a TTL.
 */
export async function assertKeyspace(client: RedisClient): Promise<Array<{ key: string; pttl: number }>> {
  const found = await allKeys(client);
  for (const { key, pttl } of found) {
    const spec = specOf(key);
    if (!spec) throw new Error(`key ${key} is not declared in lib/store/keys.ts KEYSPACE`);
    if (spec.lifetime === 'ttl' && !(pttl > 0)) throw new Error(`key ${key} (${spec.pattern}) has no TTL (pttl ${pttl})`);
    const type = await client.type(key);
    if (type !== spec.type) throw new Error(`key ${key} is a ${type}, KEYSPACE says ${spec.type}`);
  }
  return found;
}
