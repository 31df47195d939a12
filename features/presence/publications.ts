import { randomBytes } from 'node:crypto';
import { keys, type RedisClient } from '../../lib/store';

/**
 * A presentity's published documents (RFC 3903 4: event state with an entity-tag and an
 * expiry each) in one Redis hash, so every instance composes the same state. The hash
 * lives as long as its latest publication; expired entries are dropped when read.
 */
export interface Publication {
  etag: string;
  body: string;
  expiresAt: number;
  /** when this state was published (initial or modify); a refresh keeps it (RFC 3903 4.1) */
  publishedAt: number;
}

/** Most publications of one presentity (its devices); one more gets 503 until one expires. */
export const MAX_PUBLICATIONS = 16;

export class PublicationStore {
  constructor(private readonly redis: RedisClient, private readonly now: () => number = Date.now) {}

  /** Live publications, oldest expiry first. */
  async list(tenant: string, user: string): Promise<Publication[]> {
    const key = keys.presence(tenant, user);
    const all = await this.redis.hGetAll(key);
    const out: Publication[] = [];
    const stale: string[] = [];
    for (const [etag, json] of Object.entries(all)) {
      let p: { body?: unknown; expiresAt?: unknown; publishedAt?: unknown };
      try {
        p = JSON.parse(json) as typeof p;
      } catch {
        stale.push(etag);
        continue;
      }
      if (typeof p.body !== 'string' || typeof p.expiresAt !== 'number' || p.expiresAt <= this.now()) stale.push(etag);
      else out.push({ etag, body: p.body, expiresAt: p.expiresAt, publishedAt: typeof p.publishedAt === 'number' ? p.publishedAt : 0 });
    }
    if (stale.length > 0) await this.redis.hDel(key, stale);
    return out.sort((a, b) => a.expiresAt - b.expiresAt);
  }

  async get(tenant: string, user: string, etag: string): Promise<Publication | undefined> {
    return (await this.list(tenant, user)).find((p) => p.etag === etag);
  }

  /**
   * Stores a body under a NEW entity-tag (RFC 3903 6 step 8: every successful PUBLISH gets
   * a fresh one), replacing `previous` if given. Undefined when the presentity already has
   * MAX_PUBLICATIONS others. `publishedAt` is when the state was set: now for an initial
   * or modifying PUBLISH, the previous one's for a refresh (the state did not change).
   */
  async put(tenant: string, user: string, body: string, expiresS: number, previous?: string, publishedAt = this.now()): Promise<string | undefined> {
    const key = keys.presence(tenant, user);
    const live = await this.list(tenant, user);
    if (!previous && live.length >= MAX_PUBLICATIONS) return undefined;
    const etag = randomBytes(9).toString('base64url');
    const expiresAt = this.now() + expiresS * 1000;
    const latest = Math.max(expiresAt, ...live.filter((p) => p.etag !== previous).map((p) => p.expiresAt));
    const m = this.redis.multi().hSet(key, etag, JSON.stringify({ body, expiresAt, publishedAt }));
    if (previous) m.hDel(key, previous);
    await m.pExpireAt(key, latest).exec();
    return etag;
  }

  async remove(tenant: string, user: string, etag: string): Promise<void> {
    await this.redis.hDel(keys.presence(tenant, user), etag);
  }
}
