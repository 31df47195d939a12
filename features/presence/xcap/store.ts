import { createHash } from 'node:crypto';
import { keys, LuaScript, type RedisClient } from '../../../lib/store';

/**
 * XCAP documents in Redis: one hash per document `{etag, body}`, so the ETag and the
 * bytes it names never disagree (keys.xcapDocument). Owner: the user, through XCAP DELETE.
 */
export function documentKey(tenant: string, user: string, auid: string, document: string): string {
  return keys.xcapDocument(tenant, user, auid, document);
}

export interface StoredDocument {
  etag: string;
  body: string;
}

/** A strong entity tag (RFC 7232 2.3) for a document's bytes, quoted as it travels. */
export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body, 'utf8').digest('base64url').slice(0, 22)}"`;
}

/**
 * Compare-and-set: writes (or with an empty body deletes) only while the stored ETag is
 * still the one the edit was computed from (`-`: there was no document). An edit of an
 * element is a read, a change in this process and this write; two of them racing on
 * one document cannot both win, the loser retries on the new version.
 */
const CAS = new LuaScript(`
local cur = redis.call('HGET', KEYS[1], 'etag')
if ARGV[1] == '-' then
  if cur then return 0 end
elseif cur ~= ARGV[1] then
  return 0
end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'etag', ARGV[2], 'body', ARGV[3])
end
return 1
`);

export class DocumentStore {
  constructor(private readonly redis: RedisClient) {}

  async get(key: string): Promise<StoredDocument | undefined> {
    const [etag, body] = await this.redis.hmGet(key, ['etag', 'body']);
    return etag && body !== null && body !== undefined ? { etag, body } : undefined;
  }

  /**
   * Replaces the document if it is still at `expected` (undefined: absent); `body`
   * undefined deletes it. False when another write came first.
   */
  async swap(key: string, expected: string | undefined, body: string | undefined): Promise<boolean> {
    const reply = await CAS.run(this.redis, [key], [expected ?? '-', body === undefined ? '' : etagOf(body), body ?? '']);
    return Number(reply) === 1;
  }
}
