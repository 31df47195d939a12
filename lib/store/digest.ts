import { createHash } from 'node:crypto';
import type { RedisClient } from './connection';
import { keys } from './keys';

/** Digest algorithms a registrar may challenge with (RFC 8760 adds SHA-256 to SIP). */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

/**
 * HA1 = H(username ":" realm ":" password) (RFC 2617 3.2.2.2, RFC 7616 3.4.2). Storing
 * HA1 instead of the password means a leaked store does not leak passwords usable
 * elsewhere, while the registrar can still verify any digest response for this realm.
 */
export function digestHa1(user: string, realm: string, password: string, algorithm: DigestAlgorithm = 'MD5'): string {
  const hash = algorithm === 'MD5' ? 'md5' : 'sha256';
  return createHash(hash).update(`${user}:${realm}:${password}`, 'utf8').digest('hex');
}

/**
 * Nonce-counts used, shared by every instance (RFC 7616 3.4.5): one key per (nonce, nc),
 * taken with SET NX so two instances receiving the same replayed request at once cannot
 * both accept it; the key expires with the nonce.
 */
export class NonceCountStore {
  constructor(private readonly redis: RedisClient) {}

  async claim(nonce: string, nc: string, ttlMs: number): Promise<boolean> {
    const r = await this.redis.set(keys.digestNonceCount(nonce, nc), '1', { NX: true, PX: Math.max(1, Math.ceil(ttlMs)) });
    return r === 'OK';
  }
}
