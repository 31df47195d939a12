import { createHash } from 'node:crypto';
import { digestResponse, type DigestAlgorithm } from '../../lib/sip/digest-auth';

/** A challenge's parameters (tests only: the server's own output, so a simple split does). */
export function challengeParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.replace(/^Digest\s+/i, '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim().replace(/^"|"$/g, '');
  }
  return out;
}

export function ha1(algorithm: DigestAlgorithm, user: string, realm: string, password: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256').update(`${user}:${realm}:${password}`).digest('hex');
}

export interface AnswerOptions {
  user: string;
  password: string;
  method: string;
  uri: string;
  /** nonce-count (1 by default); null: no qop (RFC 2069 style) */
  nc?: number | null;
  cnonce?: string;
  /** another realm than the challenge's */
  realm?: string;
}

/** The credentials a phone sends in answer to one challenge value (RFC 7616 3.4). */
export function answer(challenge: string, o: AnswerOptions): string {
  const p = challengeParams(challenge);
  const algorithm = (p.algorithm ?? 'MD5').toUpperCase() as DigestAlgorithm;
  const realm = o.realm ?? p.realm ?? '';
  const qop = o.nc === null ? undefined : 'auth';
  const nc = o.nc === null ? undefined : (o.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = o.cnonce ?? 'c0ffee';
  const response = digestResponse(algorithm, ha1(algorithm, o.user, realm, o.password), { method: o.method, uri: o.uri, nonce: p.nonce ?? '', nc, cnonce, qop });
  return `Digest username="${o.user}", realm="${realm}", nonce="${p.nonce}", uri="${o.uri}", response="${response}", algorithm=${algorithm}`
    + (qop ? `, qop=${qop}, nc=${nc}, cnonce="${cnonce}"` : '');
}
