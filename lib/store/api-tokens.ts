import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from './connection';
import { keys, tenantId } from './keys';

/** A tenant REST token as the operator lists it: never the token itself. */
export interface ApiTokenRecord {
  id: string;
  tenant: string;
  /** ms since the epoch */
  createdAt: number;
}

/** Tokens start with this, so one found in a log or a repository is recognisable (and greppable). */
const PREFIX = 'fst_';

/**
 * Tenant tokens for the REST API. The token is shown once, on creation; Redis keeps only
 * its SHA-256. A fast unsalted hash is enough because the token is 256 random bits (no
 * dictionary to try), and it lets the bearer hook find the token by its hash in one GET
 * instead of comparing against every token.
 *
 * Two keys per token, written and deleted together in one MULTI: `apitoken:{hash}` (what
 * the bearer hook resolves) and the tenant's `apitokens:{tenant}` hash (id -> hash and
 * creation time, what the operator lists and revokes by id). Both are owned by the
 * operator's DELETE; they carry no TTL because a token lives until revoked.
 */
export class ApiTokenRepository {
  constructor(private readonly redis: RedisClient) {}

  /** A new token for the tenant: the token (show it once) and its record. */
  async create(tenant: string): Promise<{ token: string; record: ApiTokenRecord }> {
    const t = tenantId(tenant);
    const id = randomBytes(8).toString('hex');
    const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
    const hash = hashOf(token);
    const record: ApiTokenRecord = { id, tenant: t, createdAt: Date.now() };
    await this.redis.multi()
      .set(keys.apiToken(hash), JSON.stringify(record))
      .hSet(keys.apiTokens(t), id, JSON.stringify({ hash, createdAt: record.createdAt }))
      .exec();
    return { token, record };
  }

  /** The tenant's tokens, oldest first. */
  async list(tenant: string): Promise<ApiTokenRecord[]> {
    const t = tenantId(tenant);
    const all = await this.redis.hGetAll(keys.apiTokens(t));
    return Object.entries(all)
      .map(([id, json]) => ({ id, tenant: t, createdAt: Number((JSON.parse(json) as { createdAt: number }).createdAt) }))
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** Revokes a token of the tenant; false when the tenant has no such token. */
  async revoke(tenant: string, id: string): Promise<boolean> {
    const t = tenantId(tenant);
    const json = await this.redis.hGet(keys.apiTokens(t), id);
    if (!json) return false;
    const { hash } = JSON.parse(json) as { hash: string };
    const replies = await this.redis.multi()
      .hDel(keys.apiTokens(t), id)
      .del(keys.apiToken(hash))
      .exec();
    return Number(replies[0]) === 1;
  }

  /** The record of a presented token, or null for one that is unknown or revoked. */
  async resolve(token: string): Promise<ApiTokenRecord | null> {
    // Not ours: spare Redis the lookup (and the hash) for anything of another shape.
    if (!token.startsWith(PREFIX) || token.length > 128) return null;
    const json = await this.redis.get(keys.apiToken(hashOf(token)));
    if (!json) return null;
    const r = JSON.parse(json) as ApiTokenRecord;
    return { id: String(r.id), tenant: String(r.tenant), createdAt: Number(r.createdAt) };
  }
}

function hashOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
