import type { RedisClient } from '../../lib/store';
import { keys } from '../../lib/store';

/** A ringing call as pickup sees it, shared by every instance through Redis. */
export interface RingingCall {
  callId: string;
  tenant: string;
  callee: string;
  caller: string;
  /** the callee's call groups: who may pick this call up */
  groups: string[];
  since: number;
  instanceId: string;
  /** the owning instance's internal pickup service for this call (a picker on another instance goes there) */
  ownerUri?: string;
  /** who claimed it, while the pickup completes (it stays listed until answered or ended) */
  pickedBy?: string;
}

/*
 * The claim (issue: two pickers at once, exactly one wins, across instances): whoever
 * sets `pickedBy` first owns the pickup. The call stays listed, marked, until it is
 * answered or ends (`remove`), so a late picker learns it lost rather than that nothing rang.
 * KEYS[1]: the ringcall hash. ARGV[1]: the picker. Returns 1 for the winner, 0 for everyone else.
 */
const CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'pickedBy', ARGV[1])`;

/* KEYS[1]: the ringcall hash, KEYS[2..]: the tenant's ringing zset and the group zsets. ARGV[1]: the call id. */
const REMOVE = `
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1`;

export class RingingStore {
  constructor(private readonly redis: RedisClient, private readonly ttlMs: number) {}

  async add(c: RingingCall): Promise<void> {
    const m = this.redis.multi();
    const h = keys.ringingCall(c.tenant, c.callId);
    m.hSet(h, { callee: c.callee, caller: c.caller, groups: JSON.stringify(c.groups), since: String(c.since), instanceId: c.instanceId, ownerUri: c.ownerUri ?? '' });
    m.pExpire(h, this.ttlMs);
    for (const k of [keys.ringingCalls(c.tenant), ...c.groups.map((g) => keys.pickupGroupRinging(c.tenant, g))]) {
      m.zAdd(k, { score: c.since, value: c.callId });
      m.pExpire(k, this.ttlMs);
    }
    await m.exec();
  }

  async get(tenant: string, callId: string): Promise<RingingCall | undefined> {
    const h = await this.redis.hGetAll(keys.ringingCall(tenant, callId));
    if (!h.callee) return undefined;
    return {
      callId, tenant, callee: h.callee, caller: h.caller, groups: JSON.parse(h.groups ?? '[]') as string[],
      since: Number(h.since), instanceId: h.instanceId, ...(h.ownerUri ? { ownerUri: h.ownerUri } : {}), ...(h.pickedBy ? { pickedBy: h.pickedBy } : {}),
    };
  }

  /** true for exactly one picker per ringing call. */
  async claim(tenant: string, callId: string, picker: string): Promise<boolean> {
    return Number(await this.redis.eval(CLAIM, { keys: [keys.ringingCall(tenant, callId)], arguments: [picker] })) === 1;
  }

  /** The claim did not lead to a pickup (no common codec): pickable again. */
  async unclaim(tenant: string, callId: string): Promise<void> {
    await this.redis.hDel(keys.ringingCall(tenant, callId), 'pickedBy');
  }

  /** Answered or ended: out of every list. */
  async remove(tenant: string, callId: string, groups: readonly string[]): Promise<void> {
    const k = [keys.ringingCall(tenant, callId), keys.ringingCalls(tenant), ...groups.map((g) => keys.pickupGroupRinging(tenant, g))];
    await this.redis.eval(REMOVE, { keys: k, arguments: [callId] });
  }

  /** Ringing calls of a tenant, longest ringing first (stale ids, whose hash expired, skipped). */
  async list(tenant: string): Promise<RingingCall[]> {
    const ids = await this.redis.zRange(keys.ringingCalls(tenant), 0, -1);
    const out: RingingCall[] = [];
    for (const id of ids) {
      const c = await this.get(tenant, id);
      if (c) out.push(c);
    }
    return out;
  }

  /** The longest-ringing call in any of these groups, oldest first across groups. */
  async oldestIn(tenant: string, groups: readonly string[]): Promise<string[]> {
    const scored: Array<{ id: string; since: number }> = [];
    for (const g of groups) {
      for (const e of await this.redis.zRangeWithScores(keys.pickupGroupRinging(tenant, g), 0, 4)) scored.push({ id: e.value, since: e.score });
    }
    return [...new Set(scored.sort((a, b) => a.since - b.since).map((e) => e.id))];
  }
}
