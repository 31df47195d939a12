import type { DialogSnapshot, Side } from '../../lib/calls';
import type { RedisClient } from '../../lib/store';
import { keys } from '../../lib/store';

/** What a slot holds while a call is parked in it. */
export interface ParkedEntry {
  callId: string;
  instanceId: string;
  /** the owning instance's internal retrieve service: a retrieve that reaches another instance goes there */
  ownerUri?: string;
  tenant: string;
  slot: string;
  parkedUser: string;
  parker: string;
  parkedAt: number;
  timeoutAt: number;
  /** which party of the call is parked */
  side?: Side;
  /** the parked party's dialog, for the instance that takes the call over if the owner dies */
  dialog?: DialogSnapshot;
  /** the rtpengine session of the music the parked party hears */
  musicMediaId?: string;
  /** the CSeq the owner started from when it took the call over from a dead instance */
  cseq?: number;
  /** set while the owner hands the call to a retriever (slot-state.ts); absent: parked */
  retrieving?: boolean;
}

/** Keeps an index set's TTL at least as long as the slot it lists. */
const KEEP_INDEX = `
local function index(set, member, ttl)
  redis.call('SADD', set, member)
  if redis.call('PTTL', set) < tonumber(ttl) then redis.call('PEXPIRE', set, ttl) end
end`;

/*
 * Takes the first free slot of the list atomically (DESIGN: two parks never share a
 * slot, across instances): SET NX on each in order inside one script, then lists the
 * slot under this instance so a survivor finds it if this instance dies.
 * KEYS: the slot keys in order, then parkedOn(this instance), parkOwners.
 * ARGV[1]: the entry JSON (`{slot}` in its ownerUri becomes the slot taken), ARGV[2]: TTL
 * ms, ARGV[3]: this instance, ARGV[4..]: the slots.
 * Returns the index (1-based) of the slot taken, or 0 when all are busy.
 */
const TAKE_FIRST = `${KEEP_INDEX}
local n = #KEYS - 2
for i = 1, n do
  local e = cjson.decode(ARGV[1])
  e['slot'] = ARGV[3 + i]
  if e['ownerUri'] then e['ownerUri'] = (string.gsub(e['ownerUri'], '{slot}', ARGV[3 + i])) end
  if redis.call('SET', KEYS[i], cjson.encode(e), 'NX', 'PX', ARGV[2]) then
    index(KEYS[n + 1], KEYS[i], ARGV[2])
    index(KEYS[n + 2], ARGV[3], ARGV[2])
    return i
  end
end
return 0`;

/*
 * Frees a slot only if it still holds this call in this owner's name (a retrieve racing
 * a timeout, another park, or an instance that was taken for dead and lost the call).
 * KEYS[2]: parkedOn(owner). ARGV: call id, owner.
 */
const FREE_IF = `
local v = redis.call('GET', KEYS[1])
local e = v and cjson.decode(v)
if e and e['callId'] == ARGV[1] and e['instanceId'] == ARGV[2] then
  redis.call('SREM', KEYS[2], KEYS[1])
  return redis.call('DEL', KEYS[1])
end
return 0`;

/*
 * Hands a slot's call from a dead instance to this one, once: only if the slot still
 * holds that call in the dead instance's name. The slot keeps its TTL.
 * KEYS: the slot, parkedOn(this instance), parkOwners. ARGV: call id, the dead
 * instance, this instance, this instance's retrieve service, the CSeq it resumes with.
 * Returns the entry as now stored, or nil.
 */
const CLAIM = `${KEEP_INDEX}
local v = redis.call('GET', KEYS[1])
if not v then return nil end
local e = cjson.decode(v)
if e['callId'] ~= ARGV[1] or e['instanceId'] ~= ARGV[2] then return nil end
e['instanceId'] = ARGV[3]
e['ownerUri'] = ARGV[4]
e['cseq'] = tonumber(ARGV[5])
local out = cjson.encode(e)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
local ttl = redis.call('PTTL', KEYS[1])
index(KEYS[2], KEYS[1], ttl)
index(KEYS[3], ARGV[3], ttl)
return out`;

/*
 * Changes fields of a slot's entry only if it still holds this call in this owner's name
 * (a retrieve starting or failing: the slot is never given up in between, slot-state.ts).
 * KEYS: the slot, parkedOn(owner), parkOwners. ARGV: call id, owner, the fields as JSON,
 * a new TTL in ms or '' to keep the slot's. Returns 1 if changed.
 */
const PATCH_IF = `${KEEP_INDEX}
local v = redis.call('GET', KEYS[1])
local e = v and cjson.decode(v)
if not e or e['callId'] ~= ARGV[1] or e['instanceId'] ~= ARGV[2] then return 0 end
for k, x in pairs(cjson.decode(ARGV[3])) do
  if x == false then e[k] = nil else e[k] = x end
end
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], cjson.encode(e), 'KEEPTTL')
else
  redis.call('SET', KEYS[1], cjson.encode(e), 'PX', ARGV[4])
  index(KEYS[2], KEYS[1], ARGV[4])
  index(KEYS[3], ARGV[2], ARGV[4])
end
return 1`;

/* An instance's index, read and pruned: the entries still parked in its name. KEYS[1]: parkedOn(it). */
const OWNED_BY = `
local out = {}
for _, k in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('GET', k)
  if v and cjson.decode(v)['instanceId'] == ARGV[1] then table.insert(out, v)
  else redis.call('SREM', KEYS[1], k) end
end
if #out == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
return out`;

export class SlotStore {
  constructor(private readonly redis: RedisClient, private readonly instanceId: string) {}

  /** The slot taken, or undefined when the lot is full (or the wanted slot busy). */
  async take(tenant: string, slots: string[], entry: Omit<ParkedEntry, 'slot'>, ttlMs: number): Promise<string | undefined> {
    const keyList = [...slots.map((s) => keys.parkSlot(tenant, s)), keys.parkedOn(this.instanceId), keys.parkOwners()];
    const i = Number(await this.redis.eval(TAKE_FIRST, { keys: keyList, arguments: [JSON.stringify(entry), String(ttlMs), this.instanceId, ...slots] }));
    return i ? slots[i - 1] : undefined;
  }

  async get(tenant: string, slot: string): Promise<ParkedEntry | undefined> {
    const raw = await this.redis.get(keys.parkSlot(tenant, slot));
    return raw ? (JSON.parse(raw) as ParkedEntry) : undefined;
  }

  /** true if this call was in the slot in `owner`'s name and the slot is now free: whoever gets true owns the call. */
  async free(tenant: string, slot: string, callId: string, owner = this.instanceId): Promise<boolean> {
    const k = [keys.parkSlot(tenant, slot), keys.parkedOn(owner)];
    return Number(await this.redis.eval(FREE_IF, { keys: k, arguments: [callId, owner] })) === 1;
  }

  /**
   * Changes `fields` of the slot's entry if it still holds this call in `owner`'s name; a
   * field set to false is removed. `ttlMs`: the slot's new lifetime (default: unchanged).
   */
  async patch(tenant: string, slot: string, callId: string, fields: Partial<Pick<ParkedEntry, 'parkedAt' | 'timeoutAt' | 'retrieving' | 'dialog' | 'musicMediaId'>>,
    ttlMs?: number, owner = this.instanceId): Promise<boolean> {
    const k = [keys.parkSlot(tenant, slot), keys.parkedOn(owner), keys.parkOwners()];
    const args = [callId, owner, JSON.stringify(fields), ttlMs === undefined ? '' : String(ttlMs)];
    return Number(await this.redis.eval(PATCH_IF, { keys: k, arguments: args })) === 1;
  }

  /** Takes the call in `e` over from its dead owner; the entry as now stored, or undefined if another instance was first. */
  async claim(e: ParkedEntry, ownerUri: string, cseq: number): Promise<ParkedEntry | undefined> {
    const k = [keys.parkSlot(e.tenant, e.slot), keys.parkedOn(this.instanceId), keys.parkOwners()];
    const raw = await this.redis.eval(CLAIM, { keys: k, arguments: [e.callId, e.instanceId, this.instanceId, ownerUri, String(cseq)] });
    return typeof raw === 'string' ? (JSON.parse(raw) as ParkedEntry) : undefined;
  }

  /** Instances that have (or had, until the next `ownedBy`) parked calls. */
  async owners(): Promise<string[]> {
    return this.redis.sMembers(keys.parkOwners());
  }

  /** The calls parked in `instanceId`'s name; its index forgets slots that moved on. */
  async ownedBy(instanceId: string): Promise<ParkedEntry[]> {
    const raw = await this.redis.eval(OWNED_BY, { keys: [keys.parkedOn(instanceId), keys.parkOwners()], arguments: [instanceId] });
    return (raw as string[]).map((v) => JSON.parse(v) as ParkedEntry);
  }

  async list(tenant: string, slots: string[]): Promise<ParkedEntry[]> {
    if (slots.length === 0) return [];
    const values = await this.redis.mGet(slots.map((s) => keys.parkSlot(tenant, s)));
    return values.filter((v): v is string => !!v).map((v) => JSON.parse(v) as ParkedEntry);
  }
}
