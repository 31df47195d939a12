import { createSentinel, type RedisSentinelOptions, type RedisSentinelType } from 'redis';
import type { RedisClient } from './connection';

export type RedisSentinel = RedisSentinelType;

/**
 * A node-redis Sentinel client offered as the `RedisClient` every repository, feature and
 * the instance bus take, so none of them knows whether Redis is one server or a Sentinel
 * set.
 *
 * Why the cast holds: the Sentinel object has the same command methods as a client (every
 * command but the few that need one fixed connection), `multi()` with `exec` and
 * `execAsPipeline`, `eval`/`evalSha`, `subscribe`/`unsubscribe` (re-subscribed on the new
 * master after a fail-over), `scanIterator`, `connect`, `close`, `duplicate`, `isOpen`,
 * `isReady` and the EventEmitter methods. It differs from a client in four places, which
 * are patched here:
 * - `sendCommand(isReadonly, args, options)` takes a leading flag: adapted to the
 *   client's `sendCommand(args, options)` (always to the master);
 * - `quit()` and `disconnect()` do not exist: they close / destroy;
 * - `destroy()` returns a promise where the client's returns nothing: its rejection is
 *   swallowed, as the client's destroy cannot fail;
 * - `duplicate()` returns a bare Sentinel: its result is patched too (the instance bus's
 *   subscriber connection is one).
 * Absent and not used anywhere here (checked member by member): watch/unwatch (a WATCH
 * needs a leased connection, `acquire()`), select, monitor, hScan/sScan/zScanIterator,
 * options, ref/unref, isPubSubActive. Use one of those and this cast lies.
 * Node-redis does not forward its per-node 'client-error' event; connection.ts turns on
 * passthroughClientErrorEvents to hear the master's connection fail.
 * test/integration/store/sentinel.test.ts drives these through a real fail-over.
 */
export function createSentinelClient(options: RedisSentinelOptions): RedisClient {
  return adapt(createSentinel(options));
}

/** The Sentinel object behind a client made by createSentinelClient, for its events. */
export function sentinelOf(client: RedisClient): RedisSentinel | undefined {
  return SENTINELS.get(client);
}

const SENTINELS = new WeakMap<object, RedisSentinel>();

function adapt(sentinel: RedisSentinel): RedisClient {
  // Own properties on the object node-redis hands out; its command methods reach the
  // connection through `_self`, never through these, so overriding them is safe.
  const destroy = sentinel.destroy.bind(sentinel);
  const close = sentinel.close.bind(sentinel);
  const sendCommand = sentinel.sendCommand.bind(sentinel);
  const duplicate = sentinel.duplicate.bind(sentinel);
  Object.assign(sentinel, {
    sendCommand: (args: Parameters<RedisClient['sendCommand']>[0], options?: Parameters<RedisClient['sendCommand']>[1]) =>
      // the same array: node-redis only reads it
      sendCommand(false, args as Parameters<RedisSentinel['sendCommand']>[1], options),
    quit: async () => {
      await close();
      return 'OK';
    },
    disconnect: () => destroy(),
    destroy: () => {
      void destroy().catch(() => undefined);
    },
    // A duplicate (the instance bus's subscriber) reports its own subscription errors; its
    // master connection's errors are the original's to log.
    duplicate: (overrides?: Partial<RedisSentinelOptions>) =>
      adapt(duplicate({ passthroughClientErrorEvents: false, ...overrides }) as unknown as RedisSentinel),
  });
  const client = sentinel as unknown as RedisClient;
  SENTINELS.set(client, sentinel);
  return client;
}
