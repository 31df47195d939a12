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
}

/*
 * Takes the first free slot of the list atomically (DESIGN: two parks never share a
 * slot, across instances): SET NX on each in order inside one script.
 * KEYS: the slot keys in order. ARGV[1]: the entry JSON (`{slot}` in its ownerUri becomes the
 * slot taken), ARGV[2]: TTL ms, ARGV[3..]: the slots.
 * Returns the index (1-based) of the slot taken, or 0 when all are busy.
 */
const TAKE_FIRST = `
for i, k in ipairs(KEYS) do
  local e = cjson.decode(ARGV[1])
  e['slot'] = ARGV[2 + i]
  if e['ownerUri'] then e['ownerUri'] = (string.gsub(e['ownerUri'], '{slot}', ARGV[2 + i])) end
  if redis.call('SET', k, cjson.encode(e), 'NX', 'PX', ARGV[2]) then return i end
end
return 0`;

/* Frees a slot only if it still holds this call (a retrieve racing a timeout, or another park). */
const FREE_IF = `
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v)['callId'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class SlotStore {
  constructor(private readonly redis: RedisClient) {}

  /** The slot taken, or undefined when the lot is full (or the wanted slot busy). */
  async take(tenant: string, slots: string[], entry: Omit<ParkedEntry, 'slot'>, ttlMs: number): Promise<string | undefined> {
    const keyList = slots.map((s) => keys.parkSlot(tenant, s));
    const i = Number(await this.redis.eval(TAKE_FIRST, { keys: keyList, arguments: [JSON.stringify(entry), String(ttlMs), ...slots] }));
    return i ? slots[i - 1] : undefined;
  }

  async get(tenant: string, slot: string): Promise<ParkedEntry | undefined> {
    const raw = await this.redis.get(keys.parkSlot(tenant, slot));
    return raw ? (JSON.parse(raw) as ParkedEntry) : undefined;
  }

  /** true if this call was in the slot and the slot is now free: whoever gets true owns the call. */
  async free(tenant: string, slot: string, callId: string): Promise<boolean> {
    return Number(await this.redis.eval(FREE_IF, { keys: [keys.parkSlot(tenant, slot)], arguments: [callId] })) === 1;
  }

  async list(tenant: string, slots: string[]): Promise<ParkedEntry[]> {
    if (slots.length === 0) return [];
    const values = await this.redis.mGet(slots.map((s) => keys.parkSlot(tenant, s)));
    return values.filter((v): v is string => !!v).map((v) => JSON.parse(v) as ParkedEntry);
  }
}
