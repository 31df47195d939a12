import { createHash, randomBytes } from 'node:crypto';

/**
 * The client side of SIP digest (RFC 2617 3.2.2 with qop=auth, as RFC 3261 22.4 uses it):
 * what a provisioned phone puts in Authorization / Proxy-Authorization. The fuzzer sends
 * correct credentials on part of its traffic, so the mutations reach what only an
 * authenticated user reaches (registrations, calls).
 */
export interface Challenge {
  realm: string;
  nonce: string;
  opaque?: string;
  qop?: string;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** The parameters of `Digest realm="x", nonce="y", ...` (our own server's header: trusted enough, scanned without a regex). */
export function parseChallenge(header: string): Challenge | null {
  const params: Record<string, string> = {};
  let i = header.toLowerCase().indexOf('digest');
  if (i < 0) return null;
  i += 6;
  while (i < header.length) {
    while (i < header.length && (header[i] === ' ' || header[i] === ',')) i++;
    const eq = header.indexOf('=', i);
    if (eq < 0) break;
    const name = header.slice(i, eq).trim().toLowerCase();
    let value: string;
    if (header[eq + 1] === '"') {
      const close = header.indexOf('"', eq + 2);
      value = header.slice(eq + 2, close < 0 ? header.length : close);
      i = close < 0 ? header.length : close + 1;
    } else {
      const comma = header.indexOf(',', eq);
      value = header.slice(eq + 1, comma < 0 ? header.length : comma).trim();
      i = comma < 0 ? header.length : comma;
    }
    params[name] = value;
  }
  if (!params.realm || !params.nonce) return null;
  return { realm: params.realm, nonce: params.nonce, opaque: params.opaque, qop: params.qop };
}

/** One user's credentials against one nonce; `nc` counts up with every request (RFC 2617 3.2.2). */
export class DigestClient {
  private nc = 0;

  constructor(readonly user: string, private readonly password: string, private challenge: Challenge) {}

  renew(challenge: Challenge): void {
    this.challenge = challenge;
    this.nc = 0;
  }

  /** The header value for `method` on `uri`. */
  header(method: string, uri: string): string {
    const { realm, nonce, opaque, qop } = this.challenge;
    const ha1 = md5(`${this.user}:${realm}:${this.password}`);
    const ha2 = md5(`${method}:${uri}`);
    let v = `Digest username="${this.user}", realm="${realm}", nonce="${nonce}", uri="${uri}"`;
    if (qop) {
      const nc = (++this.nc).toString(16).padStart(8, '0');
      const cnonce = randomBytes(8).toString('hex');
      v += `, response="${md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`)}", algorithm=MD5, cnonce="${cnonce}", qop=auth, nc=${nc}`;
    } else {
      v += `, response="${md5(`${ha1}:${nonce}:${ha2}`)}", algorithm=MD5`;
    }
    return opaque ? `${v}, opaque="${opaque}"` : v;
  }
}
