import type { CallRecord } from './call-record';
import type { RedisClient } from './connection';
import { keys } from './keys';
import { LuaScript } from './lua-script';

/**
 * The record passes from a dead owner to a new one if it still names the dead owner:
 * exactly one of several instances noticing the death at once gets it (KEEPTTL: the
 * record's lifetime does not change hands). The JSON is edited as text, not re-encoded:
 * cjson would turn an empty array (a route set) into an object. The key's text is
 * unique: a quote inside any string value is escaped.
 */
const CLAIM = new LuaScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
if cjson.decode(raw).instanceId ~= ARGV[1] then return false end
local i, j = string.find(raw, ARGV[2], 1, true)
if not i then return false end
local out = string.sub(raw, 1, i - 1) .. ARGV[3] .. string.sub(raw, j + 1)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
return out
`);

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

  /** The record moves from instance `from` (gone) to `to`; null when it no longer names `from` (ended, or claimed by another). */
  async claim(id: string, from: string, to: string): Promise<CallRecord | null> {
    const field = (v: string): string => `"instanceId":${JSON.stringify(v)}`;
    const raw = await CLAIM.run(this.redis, [keys.call(id)], [from, field(from), field(to)]);
    return typeof raw === 'string' ? (JSON.parse(raw) as CallRecord) : null;
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
