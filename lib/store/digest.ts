import { createHash } from 'node:crypto';

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
