import type { RedisClient } from '../../lib/store';
import { keys } from '../../lib/store';

/**
 * One location of a find-me sequence: the phones of these users, and of every member of
 * these groups (users whose call groups include it, as pickup sees them), ring together
 * for ringSeconds.
 */
export interface Location {
  users?: string[];
  groups?: string[];
  ringSeconds: number;
}

/** A user's find-me / follow-me (issue 17 item 3; service example 2.11). */
export interface FindMe {
  enabled: boolean;
  locations: Location[];
}

export const NO_FIND_ME: FindMe = { enabled: false, locations: [] };

/** The find-me settings in Redis: one JSON document per user. */
export class FindMeStore {
  constructor(private readonly redis: RedisClient) {}

  async get(tenant: string, user: string): Promise<FindMe> {
    const raw = await this.redis.get(keys.findMe(tenant, user));
    if (!raw) return NO_FIND_ME;
    try {
      return { ...NO_FIND_ME, ...(JSON.parse(raw) as Partial<FindMe>) };
    } catch {
      return NO_FIND_ME;
    }
  }

  async put(tenant: string, user: string, f: FindMe): Promise<void> {
    await this.redis.set(keys.findMe(tenant, user), JSON.stringify(f));
  }

  async delete(tenant: string, user: string): Promise<boolean> {
    return (await this.redis.del(keys.findMe(tenant, user))) > 0;
  }
}
