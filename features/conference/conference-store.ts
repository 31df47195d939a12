import type { RedisClient } from '../../lib/store';
import { keys } from '../../lib/store';

/** A conference as Redis holds it (DESIGN: members, host, bridge in shared state). */
export interface ConferenceRecord {
  id: string;
  tenant: string;
  host: string;
  hostLeaves: 'end' | 'continue';
  createdAt: number;
  members: Array<{ id: string; user: string; joinedAt: number }>;
  instanceId?: string;
}

/** A day: the owner deletes the key when the conference ends; the TTL only covers a dead instance. */
const SAFETY_TTL_MS = 24 * 3600 * 1000;

export class ConferenceStore {
  constructor(private readonly redis: RedisClient, private readonly instanceId: string) {}

  async save(r: ConferenceRecord): Promise<void> {
    const k = keys.conference(r.tenant, r.id);
    await this.redis.multi()
      .hSet(k, { doc: JSON.stringify({ ...r, instanceId: this.instanceId }), instanceId: this.instanceId })
      .pExpire(k, SAFETY_TTL_MS)
      .exec();
  }

  async get(tenant: string, id: string): Promise<ConferenceRecord | undefined> {
    const doc = await this.redis.hGet(keys.conference(tenant, id), 'doc');
    return doc ? (JSON.parse(doc) as ConferenceRecord) : undefined;
  }

  async remove(tenant: string, id: string): Promise<void> {
    await this.redis.del(keys.conference(tenant, id));
  }
}
