import type { CallRecord } from './call-record';
import type { RedisClient } from './connection';
import { keys } from './keys';

export interface CallRepositoryOptions {
  /**
   * Lifetime of a record no one updates (default 24 h). Calls are removed when they end;
   * this only bounds what an instance that died mid-call leaves behind.
   */
  ttlSeconds?: number;
}

/** Live call state: one JSON string per call plus the set of live ids. */
export class CallRepository {
  private readonly ttlMs: number;

  constructor(private readonly redis: RedisClient, opts: CallRepositoryOptions = {}) {
    this.ttlMs = (opts.ttlSeconds ?? 24 * 3600) * 1000;
  }

  /** Creates or replaces the record and restarts its TTL. */
  async save(call: CallRecord): Promise<void> {
    const ttl = this.ttlMs;
    await this.redis.multi()
      .set(keys.call(call.id), JSON.stringify(call), { expiration: { type: 'PX', value: ttl } })
      .sAdd(keys.calls(), call.id)
      // The id set lives as long as its newest member: NX gives a fresh set its TTL, GT
      // only ever pushes it later (an instance with a shorter TTL cannot cut it short).
      .pExpire(keys.calls(), ttl, 'NX')
      .pExpire(keys.calls(), ttl, 'GT')
      .exec();
  }

  async get(id: string): Promise<CallRecord | null> {
    const json = await this.redis.get(keys.call(id));
    return json ? (JSON.parse(json) as CallRecord) : null;
  }

  /** Every live call, oldest first; ids whose record has expired are dropped from the set. */
  async list(): Promise<CallRecord[]> {
    const ids = await this.redis.sMembers(keys.calls());
    if (ids.length === 0) return [];
    const values = await this.redis.mGet(ids.map((id) => keys.call(id)));
    const stale = ids.filter((_, i) => values[i] === null);
    if (stale.length > 0) await this.redis.sRem(keys.calls(), stale);
    return values
      .filter((v): v is string => v !== null)
      .map((v) => JSON.parse(v) as CallRecord)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** Deletes the record and its id; false when there was no record. */
  async remove(id: string): Promise<boolean> {
    const [deleted] = await this.redis.multi()
      .del(keys.call(id))
      .sRem(keys.calls(), id)
      .exec();
    return Number(deleted) === 1;
  }
}
