import type { Logger } from 'winston';
import { keys, LuaScript, type RedisClient } from '../store';
import type { BanList } from './ban-list';

/** INCR, and start the window's TTL with the first failure (atomic: one script). */
const countScript = new LuaScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`);

export interface AuthFailuresOptions {
  /** failures from one address within `windowMs` that ban it */
  limit: number;
  windowMs: number;
  logger: Logger;
}

/**
 * Failed authentications (wrong response hash, unknown user) counted per source address
 * in Redis over a fixed window, so failures spread over several instances add up; the
 * `limit`th bans the address (BanList).
 */
export class AuthFailures {
  constructor(private readonly redis: RedisClient, private readonly bans: BanList, private readonly opts: AuthFailuresOptions) {}

  async record(address: string): Promise<{ failures: number; banned: boolean }> {
    const failures = Number(await countScript.run(this.redis, [keys.authFailures(address)], [String(this.opts.windowMs)]));
    if (failures < this.opts.limit) return { failures, banned: false };
    await this.bans.ban(address, failures);
    await this.redis.del(keys.authFailures(address));
    this.opts.logger.warn('source banned: too many failed authentications', { address, failures });
    return { failures, banned: true };
  }
}
