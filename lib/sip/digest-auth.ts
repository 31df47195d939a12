import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseDigest, type DigestCredentials } from './digest-params';
import { sameSipUri } from './sip-uri-equal';

export { parseDigest, type DigestCredentials } from './digest-params';

/** Digest algorithms this server verifies (RFC 8760 adds SHA-256 to SIP's MD5). */
export type DigestAlgorithm = 'MD5' | 'SHA-256';
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

/** A user's HA1 per algorithm (RFC 7616 3.4.2); a user without one is never offered it. */
export type Ha1s = Partial<Record<DigestAlgorithm, string>>;

/**
 * Remembers which nonce-counts were used, for every instance at once (RFC 7616 3.4.5:
 * the server "should" reject a repeated nc; here it must, or a captured request replays).
 * `claim` is true the first time a (nonce, nc) pair is seen and false ever after, until
 * `ttlMs` has passed (by then the nonce itself is stale).
 */
export interface NonceCounter {
  claim(nonce: string, nc: string, ttlMs: number): Promise<boolean>;
}

/**
 * What the credentials of a request came to, and what to answer:
 * - missing: none for this realm, or unreadable: challenge (401/407);
 * - ok: authenticated as `username`;
 * - stale: the response hash is right but the nonce is expired or not ours (an earlier
 *   process, another secret): challenge with stale=true, the phone retries at once
 *   (RFC 7616 3.3);
 * - replay: right hash, but this nonce-count was already used: challenge (stale=true:
 *   the hash was right, so a phone that raced itself recovers without asking the user);
 * - uri-mismatch: the digest-uri is not the Request-URI: 400 (RFC 2617 3.2.2.5);
 * - unsupported: an algorithm or qop not offered (or no HA1 for it): challenge with
 *   `algorithms`;
 * - bad: unknown user or wrong hash: 403, and a failure counted against the source.
 */
export type DigestOutcome = 'missing' | 'ok' | 'stale' | 'replay' | 'uri-mismatch' | 'unsupported' | 'bad';

export interface DigestResult {
  outcome: DigestOutcome;
  username?: string;
  /** for 'unsupported': the algorithms to challenge with (the user's) */
  algorithms?: DigestAlgorithm[];
}

export interface DigestRequest {
  /** the Authorization or Proxy-Authorization value */
  header: string | undefined;
  realm: string;
  method: string;
  /** the Request-URI as received */
  requestUri: string;
}

export interface DigestAuthOptions {
  /** shared by every instance, so any of them verifies a nonce another issued */
  secret?: Buffer;
  /** how long a nonce is accepted (RFC 7616 5.5: short limits replay) */
  nonceLifetimeMs?: number;
  /** challenge order, most preferred first (RFC 8760 2.3) */
  algorithms?: readonly DigestAlgorithm[];
  /** where nonce-counts are remembered; none: every nonce is single use in this process */
  counter?: NonceCounter;
  now?: () => number;
}

const hashName = (a: DigestAlgorithm): string => (a === 'MD5' ? 'md5' : 'sha256');
const hex = (a: DigestAlgorithm, s: string): string => createHash(hashName(a)).update(s, 'utf8').digest('hex');

/**
 * The response a client computes (RFC 7616 3.4.1, RFC 2617 3.2.2.1 without qop, which
 * RFC 2069 phones still send): exported so test clients share the one definition.
 */
export function digestResponse(algorithm: DigestAlgorithm, ha1: string, c: { method: string; uri: string; nonce: string; nc?: string; cnonce?: string; qop?: string }): string {
  const ha2 = hex(algorithm, `${c.method}:${c.uri}`);
  return c.qop
    ? hex(algorithm, `${ha1}:${c.nonce}:${c.nc ?? ''}:${c.cnonce ?? ''}:${c.qop}:${ha2}`)
    : hex(algorithm, `${ha1}:${c.nonce}:${ha2}`);
}

/** The algorithm the credentials name; MD5 when they name none (RFC 7616 3.4). */
function algorithmOf(creds: DigestCredentials): DigestAlgorithm | undefined {
  const a = (creds.algorithm ?? 'MD5').toUpperCase();
  return a === 'MD5' || a === 'SHA-256' ? a : undefined;
}

const isNc = (nc: string): boolean => nc.length === 8 && [...nc].every((c) => '0123456789abcdefABCDEF'.includes(c));

/** Process-local single use of nonce-counts, for a DigestAuth built without a store. */
class LocalCounter implements NonceCounter {
  private readonly seen = new Map<string, number>();
  async claim(nonce: string, nc: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    if (this.seen.size > 10_000) for (const [k, until] of this.seen) if (until <= now) this.seen.delete(k);
    const key = `${nonce} ${nc}`;
    if ((this.seen.get(key) ?? 0) > now) return false;
    this.seen.set(key, now + ttlMs);
    return true;
  }
}

/**
 * SIP digest authentication as a server (RFC 3261 22, RFC 7616, RFC 8760). Nonces are
 * `<issued>.<salt>.<HMAC(secret, issued.salt.realm)>`: any instance that shares the
 * secret verifies them without remembering what it handed out, and only what needs
 * memory is remembered, in the shared store: which nonce-counts were used.
 */
export class DigestAuth {
  private readonly secret: Buffer;
  readonly nonceLifetimeMs: number;
  readonly algorithms: readonly DigestAlgorithm[];
  private readonly counter: NonceCounter;
  private readonly now: () => number;

  constructor(opts: DigestAuthOptions = {}) {
    this.secret = opts.secret ?? randomBytes(32);
    this.nonceLifetimeMs = opts.nonceLifetimeMs ?? 60_000;
    this.algorithms = opts.algorithms?.length ? [...opts.algorithms] : DIGEST_ALGORITHMS;
    this.counter = opts.counter ?? new LocalCounter();
    this.now = opts.now ?? Date.now;
  }

  /**
   * The values of WWW-Authenticate (401) or Proxy-Authenticate (407): one challenge per
   * algorithm, most preferred first, all with one nonce (RFC 8760 2.3).
   */
  challenge(realm: string, opts: { stale?: boolean; algorithms?: readonly DigestAlgorithm[] } = {}): string[] {
    const nonce = this.makeNonce(realm, this.now(), randomBytes(9).toString('base64url'));
    const offered = this.algorithms.filter((a) => !opts.algorithms || opts.algorithms.includes(a));
    return (offered.length ? offered : ['MD5' as const]).map((a) =>
      `Digest realm="${realm}", nonce="${nonce}", algorithm=${a}, qop="auth"${opts.stale ? ', stale=true' : ''}`);
  }

  /**
   * The whole check of a request's credentials. The user's HA1s are looked up only for
   * well-formed credentials of this realm whose uri is the Request-URI.
   */
  async check(r: DigestRequest, lookup: (user: string) => Promise<Ha1s | undefined>): Promise<DigestResult> {
    const creds = parseDigest(r.header);
    if (!creds || creds.realm !== r.realm) return { outcome: 'missing' };
    const username = creds.username;
    const algorithm = algorithmOf(creds);
    // qop=auth only (auth-int is not offered); with qop, nc and cnonce are required (RFC 7616 3.4)
    if (!algorithm || !this.algorithms.includes(algorithm) || (creds.qop !== undefined && creds.qop.toLowerCase() !== 'auth')) {
      return { outcome: 'unsupported', username };
    }
    if (creds.qop !== undefined && (!creds.nc || !isNc(creds.nc) || !creds.cnonce)) return { outcome: 'missing' };
    // RFC 7616 3.4.6 / RFC 2617 3.2.2.5: the digest-uri must name the Request-URI, or the
    // credentials of one request would authorise another destination
    if (!sameSipUri(creds.uri, r.requestUri)) return { outcome: 'uri-mismatch', username };
    const ha1s = await lookup(username);
    if (!ha1s) return { outcome: 'bad', username };
    const ha1 = ha1s[algorithm];
    if (!ha1) return { outcome: 'unsupported', username, algorithms: this.algorithms.filter((a) => ha1s[a]) };
    const expected = Buffer.from(digestResponse(algorithm, ha1, { ...creds, method: r.method }));
    const got = Buffer.from(creds.response.toLowerCase());
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) return { outcome: 'bad', username };
    // The hash is right: whatever is wrong with the nonce now is staleness, not a failure
    // (RFC 7616 3.3), including a nonce from before a restart or a secret change.
    const left = this.nonceTimeLeft(creds.nonce, r.realm);
    if (left <= 0) return { outcome: 'stale', username };
    // Single use of each nonce-count; without qop the nonce itself is single use. The
    // record outlives the nonce by a lifetime, covering clock skew between instances.
    const claimed = await this.counter.claim(creds.nonce, creds.qop ? creds.nc!.toLowerCase() : '-', left + this.nonceLifetimeMs);
    return { outcome: claimed ? 'ok' : 'replay', username };
  }

  /** ms the nonce is still good for; 0 when it is expired, from the future or not ours */
  private nonceTimeLeft(nonce: string, realm: string): number {
    const parts = nonce.split('.');
    if (parts.length !== 3) return 0;
    const issued = parseInt(parts[0], 36);
    if (!Number.isSafeInteger(issued)) return 0;
    const a = Buffer.from(this.makeNonce(realm, issued, parts[1]));
    const b = Buffer.from(nonce);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return 0;
    const age = this.now() - issued;
    if (age < -5000) return 0;
    return Math.max(0, this.nonceLifetimeMs - Math.max(0, age));
  }

  private makeNonce(realm: string, issued: number, salt: string): string {
    const ts = issued.toString(36);
    const mac = createHmac('sha256', this.secret).update(`${ts}.${salt}.${realm}`).digest('base64url').slice(0, 27);
    return `${ts}.${salt}.${mac}`;
  }
}
