import type { Logger } from 'winston';
import { channels, type RedisClient } from '../store';
import { BROADCAST } from './protocol';

/**
 * How bus messages travel between instances: to one instance by id, or to all ('*').
 * Redis pub/sub in production (redisTransport); an in-memory hub in unit tests.
 */
export interface BusTransport {
  /** Delivers `payload` to instance `to` (or every instance for '*'); resolves with how many received it. */
  send(to: string, payload: string): Promise<number>;
  /** Starts hearing messages addressed to `self` and broadcasts. */
  listen(self: string, fn: (payload: string) => void): Promise<void>;
  /** How many processes listen as `instance` now: 0 once it is gone. */
  listeners(instance: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Redis pub/sub: one channel per instance and one for everybody (lib/store/keys.ts). An
 * instance is subscribed to its channel as long as its process lives: Redis drops a dead
 * client's subscriptions with its connection, so PUBSUB NUMSUB says whether it runs.
 */
export function redisTransport(redis: RedisClient, logger: Logger): BusTransport {
  const sub = redis.duplicate();
  sub.on('error', (err: Error) => logger.warn('instance bus: subscriber connection', { error: err.message }));
  const channel = (to: string): string => (to === BROADCAST ? channels.broadcast() : channels.instance(to));
  return {
    async send(to, payload) {
      return Number(await redis.publish(channel(to), payload));
    },
    async listen(self, fn) {
      await sub.connect();
      await sub.subscribe([channels.instance(self), channels.broadcast()], (raw: string) => fn(raw));
    },
    async listeners(instance) {
      const counts = await redis.pubSubNumSub(channels.instance(instance));
      return Number(Object.values(counts)[0] ?? 0);
    },
    async close() {
      await sub.quit().catch(() => undefined);
    },
  };
}
