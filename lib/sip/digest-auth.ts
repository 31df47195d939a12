import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * SIP digest authentication as a server (RFC 3261 22, RFC 2617 3.2, qop=auth). Nonces
 * are stateless: `<timestamp>:<HMAC(secret, timestamp:realm)>`, so any instance that
 * shares the secret can verify them and none needs to remember what it handed out; an
 * old nonce is answered with `stale=true` (RFC 2617 3.2.1) instead of a failure.
 */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  cnonce?: string;
  nc?: string;
  qop?: string;
  opaque?: string;
}

export type DigestOutcome = 'ok' | 'stale' | 'bad';

export class DigestAuth {
  private readonly secret: Buffer;

  constructor(secret?: Buffer, private readonly nonceLifetimeMs = 300_000) {
    this.secret = secret ?? randomBytes(32);
  }

  /** The value of WWW-Authenticate (401) or Proxy-Authenticate (407). */
  challenge(realm: string, stale = false): string {
    const nonce = this.makeNonce(realm, Date.now());
    return `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
  }

  /** Checks a response against HA1 = MD5(user:realm:password) for this method. */
  verify(creds: DigestCredentials, method: string, ha1: string): DigestOutcome {
    if (creds.algorithm && creds.algorithm.toUpperCase() !== 'MD5') return 'bad';
    const [ts, mac] = creds.nonce.split(':');
    const issued = Number(ts);
    if (!Number.isFinite(issued) || !mac || this.makeNonce(creds.realm, issued) !== creds.nonce) return 'bad';
    const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');
    const ha2 = md5(`${method}:${creds.uri}`);
    const expected = creds.qop
      ? md5(`${ha1}:${creds.nonce}:${creds.nc ?? ''}:${creds.cnonce ?? ''}:${creds.qop}:${ha2}`)
      : md5(`${ha1}:${creds.nonce}:${ha2}`);
    const a = Buffer.from(expected);
    const b = Buffer.from(creds.response.toLowerCase());
    if (a.length !== b.length || !timingSafeEqual(a, b)) return 'bad';
    return Date.now() - issued > this.nonceLifetimeMs ? 'stale' : 'ok';
  }

  /**
   * The whole check for a request: its credentials against the user's HA1 (looked up
   * only when the credentials name this realm). 'missing' means: challenge.
   */
  async check(header: string | undefined, realm: string, method: string,
    lookupHa1: (user: string) => Promise<string | undefined>): Promise<{ outcome: DigestOutcome | 'missing'; username?: string }> {
    const creds = parseDigest(header);
    if (!creds || creds.realm !== realm) return { outcome: 'missing' };
    const ha1 = await lookupHa1(creds.username);
    return { outcome: ha1 ? this.verify(creds, method, ha1) : 'bad', username: creds.username };
  }

  private makeNonce(realm: string, ts: number): string {
    const mac = createHmac('sha256', this.secret).update(`${ts}:${realm}`).digest('base64url').slice(0, 32);
    return `${ts}:${mac}`;
  }
}

/** Parses `Digest username="a", realm="b", ...` (RFC 2617 3.2.2); null if it is not Digest. */
export function parseDigest(header: string | undefined): DigestCredentials | null {
  if (!header) return null;
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return null;
  const params: Record<string, string> = {};
  const re = /([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  let x: RegExpExecArray | null;
  while ((x = re.exec(m[1])) !== null) params[x[1].toLowerCase()] = x[2] !== undefined ? x[2].replace(/\\(.)/g, '$1') : x[3];
  if (!params.username || !params.realm || !params.nonce || !params.uri || !params.response) return null;
  return {
    username: params.username, realm: params.realm, nonce: params.nonce, uri: params.uri, response: params.response,
    algorithm: params.algorithm, cnonce: params.cnonce, nc: params.nc, qop: params.qop, opaque: params.opaque,
  };
}
