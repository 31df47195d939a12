import type { RedisClient } from './connection';

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
