import { createHash } from 'node:crypto';
import type { RedisClient } from './connection';

/**
 * A Lua script run with EVALSHA, falling back to EVAL when the server does not know it
 * yet (a fresh or restarted Redis, a fail-over to a replica that never saw it). Lua is
 * how a read-check-write (RFC 3261 10.3 step 7, say) stays atomic across instances.
 *
 * Scripts read the clock with TIME, so every instance and every key TTL share one clock:
 * the Redis server's.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    const options = { keys, arguments: args };
    try {
      return await client.evalSha(this.sha, options);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, options);
    }
  }
}
