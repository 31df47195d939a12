import type { RedisClient } from '../../lib/store';
import { keys } from '../../lib/store';

/** A user's screening (issue 17 item 5; service examples 2.12 and 2.13). */
export interface UserScreening {
  incoming: {
    /** refuse callers who withhold their identity (RFC 3323 privacy) */
    anonymous: boolean;
    /** patterns (glob.ts) matched against the caller's user part and its URI `sip:user@tenant` */
    callers: string[];
  };
  outgoing: {
    /** patterns matched against the dialed user part (a number, an extension) */
    destinations: string[];
  };
}

/** A tenant's outgoing screening: destinations nobody of the tenant may call (premium-rate prefixes). */
export interface TenantScreening {
  destinations: string[];
}

export const NO_USER_SCREENING: UserScreening = { incoming: { anonymous: false, callers: [] }, outgoing: { destinations: [] } };
export const NO_TENANT_SCREENING: TenantScreening = { destinations: [] };

function parse<T>(raw: string | null, empty: T): T {
  if (!raw) return empty;
  try {
    return { ...empty, ...(JSON.parse(raw) as Partial<T>) };
  } catch {
    return empty;
  }
}

/** The screening lists in Redis: one JSON document per user and one per tenant. */
export class ScreeningStore {
  constructor(private readonly redis: RedisClient) {}

  async user(tenant: string, user: string): Promise<UserScreening> {
    return parse(await this.redis.get(keys.screening(tenant, user)), NO_USER_SCREENING);
  }

  async putUser(tenant: string, user: string, s: UserScreening): Promise<void> {
    await this.redis.set(keys.screening(tenant, user), JSON.stringify(s));
  }

  async deleteUser(tenant: string, user: string): Promise<boolean> {
    return (await this.redis.del(keys.screening(tenant, user))) > 0;
  }

  async tenant(tenant: string): Promise<TenantScreening> {
    return parse(await this.redis.get(keys.tenantScreening(tenant)), NO_TENANT_SCREENING);
  }

  async putTenant(tenant: string, s: TenantScreening): Promise<void> {
    await this.redis.set(keys.tenantScreening(tenant), JSON.stringify(s));
  }

  async deleteTenant(tenant: string): Promise<boolean> {
    return (await this.redis.del(keys.tenantScreening(tenant))) > 0;
  }
}
