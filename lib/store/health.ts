import { randomBytes } from 'node:crypto';
import type { RedisClient } from './connection';
import { keys } from './keys';

export interface HealthStatus {
  ok: boolean;
  detail?: string;
}

/** A health check for /health: Redis answers PING within timeoutMs. */
export function redisHealthCheck(client: RedisClient, timeoutMs = 1000): () => Promise<HealthStatus> {
  return async () => {
    if (!client.isReady) return { ok: false, detail: 'not connected' };
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no PONG within ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([client.ping(), timeout]);
      return { ok: true, detail: `PING ${Date.now() - started} ms` };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Whether Redis still holds what it held when this server started: the data marker is
 * written once (SET NX) and read back here; a Redis restarted empty (no persistence, a
 * lost append-only file) no longer has it, and every user, registration and park slot
 * went with it, though Redis answers PING. The server stays unhealthy until restarted
 * (an operator restores the data or accepts the loss); it does not paper over it.
 */
export async function redisDataCheck(client: RedisClient, timeoutMs = 1000): Promise<() => Promise<HealthStatus>> {
  await client.set(keys.dataMarker(), randomBytes(12).toString('hex'), { NX: true });
  const expected = await client.get(keys.dataMarker());
  return async () => {
    if (!client.isReady) return { ok: false, detail: 'not connected' };
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      const now = await Promise.race([client.get(keys.dataMarker()), timeout]);
      if (now === expected) return { ok: true };
      return { ok: false, detail: 'Redis lost its data since this server started (its data marker is gone): restore it, then restart the server' };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  };
}
