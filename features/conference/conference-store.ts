import type { RedisClient } from '../../lib/store';
import { keys } from '../../lib/store';

/** A conference as Redis holds it (DESIGN: members, host, bridge in shared state). */
export interface ConferenceRecord {
  id: string;
  tenant: string;
  host: string;
  hostLeaves: 'end' | 'continue';
  createdAt: number;
  members: Array<{ id: string; user: string; joinedAt: number; held?: boolean }>;
  instanceId?: string;
}

/** A day: the owner deletes the key when the conference ends; the TTL only covers a dead instance. */
const SAFETY_TTL_MS = 24 * 3600 * 1000;

/** Conferences listed at most (GET /v1/conferences): a bound on one request's work. */
export const MAX_LISTED = 1000;

export class ConferenceStore {
  constructor(private readonly redis: RedisClient, private readonly instanceId: string) {}

  async save(r: ConferenceRecord): Promise<void> {
    const k = keys.conference(r.tenant, r.id);
    await this.redis.multi()
      .hSet(k, { doc: JSON.stringify({ ...r, instanceId: this.instanceId }), instanceId: this.instanceId })
      .pExpire(k, SAFETY_TTL_MS)
      .sAdd(keys.conferences(), k)
      .pExpire(keys.conferences(), SAFETY_TTL_MS)
      .exec();
  }

  async get(tenant: string, id: string): Promise<ConferenceRecord | undefined> {
    const doc = await this.redis.hGet(keys.conference(tenant, id), 'doc');
    return doc ? (JSON.parse(doc) as ConferenceRecord) : undefined;
  }

  /** Every instance's live conferences (at most MAX_LISTED); keys whose record has expired are dropped. */
  async list(): Promise<ConferenceRecord[]> {
    const all = await this.redis.sMembers(keys.conferences());
    const ks = all.slice(0, MAX_LISTED);
    if (ks.length === 0) return [];
    const multi = this.redis.multi();
    for (const k of ks) multi.hGet(k, 'doc');
    const docs = (await multi.exec()) as unknown as Array<string | null>;
    const stale = ks.filter((_, i) => typeof docs[i] !== 'string');
    if (stale.length > 0) await this.redis.sRem(keys.conferences(), stale);
    return docs.filter((d): d is string => typeof d === 'string').map((d) => JSON.parse(d) as ConferenceRecord);
  }

  async remove(tenant: string, id: string): Promise<void> {
    const k = keys.conference(tenant, id);
    await this.redis.multi().del(k).sRem(keys.conferences(), k).exec();
  }
}
