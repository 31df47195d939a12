import type { RedisClient } from './connection';

/**
 * One JSON document of settings per tenant under a key of lib/store/keys.ts, read with
 * its defaults filled in (a tenant never configured, or a field added since, gets the
 * default). A document that does not parse counts as unset.
 */
export class TenantSettings<T extends object> {
  constructor(protected readonly redis: RedisClient, protected readonly key: (tenant: string) => string, private readonly defaults: T) {}

  async get(tenant: string): Promise<T> {
    const raw = await this.redis.get(this.key(tenant));
    if (!raw) return this.defaults;
    try {
      return { ...this.defaults, ...(JSON.parse(raw) as Partial<T>) };
    } catch {
      return this.defaults;
    }
  }

  async put(tenant: string, value: T): Promise<void> {
    await this.redis.set(this.key(tenant), JSON.stringify(value));
  }

  async delete(tenant: string): Promise<boolean> {
    return (await this.redis.del(this.key(tenant))) > 0;
  }
}
