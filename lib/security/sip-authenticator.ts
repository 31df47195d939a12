import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { DigestAuth, DigestResult, Ha1s } from '../sip/digest-auth';
import { respond } from '../sip/respond';
import type { UserRepository } from '../store';
import type { AuthFailures } from './auth-failures';
import type { BanList } from './ban-list';
import { clientAddress } from './client-address';

const NONE: ReadonlySet<string> = new Set();

export interface SipAuthenticatorDeps {
  digest: DigestAuth;
  users: Pick<UserRepository, 'credentials'>;
  bans: BanList;
  failures: AuthFailures;
  logger: Logger;
  /** edge proxies whose requests are attributed to the phone in the Via below theirs */
  trustedProxies?: ReadonlySet<string>;
}

export interface AuthenticateOptions {
  realm: string;
  /** 'www': a registrar (401, Authorization); 'proxy': calls and subscriptions (407, Proxy-Authorization) (RFC 3261 22.3) */
  kind: 'www' | 'proxy';
  /** only this user may authenticate (a REGISTER for its own AOR, RFC 3261 10.3 step 3-6) */
  only?: string;
}

/**
 * Digest authentication of a request from a phone, answered here when it does not
 * succeed: banned source 403 (before anything else, from memory), missing or unusable
 * credentials a challenge, stale nonce or replayed nonce-count a challenge with
 * stale=true, digest uri not the Request-URI 400, unknown user or wrong hash 403 and a
 * failure counted against the source address. Resolves with the user name, or
 * undefined when the request was answered.
 */
export class SipAuthenticator {
  constructor(private readonly deps: SipAuthenticatorDeps) {}

  async authenticate(req: Srf.SrfRequest, res: Srf.SrfResponse, o: AuthenticateOptions, log: Logger): Promise<string | undefined> {
    const source = clientAddress(req.source_address, req.get('Via'), this.deps.trustedProxies ?? NONE);
    if (this.deps.bans.isBanned(source)) {
      respond(res, 403, 'Forbidden - Too Many Failed Authentications');
      return undefined;
    }
    const header = req.get(o.kind === 'www' ? 'Authorization' : 'Proxy-Authorization');
    const result = await this.deps.digest.check({ header, realm: o.realm, method: req.method, requestUri: req.uri },
      (user) => this.ha1s(o, user));
    switch (result.outcome) {
      case 'ok':
        return result.username;
      case 'uri-mismatch':
        // RFC 2617 3.2.2.5: "the server SHOULD return a 400 Bad Request"
        respond(res, 400, 'Bad Request - Digest uri is not the Request-URI');
        return undefined;
      case 'bad':
        await this.failed(req, source, result, log);
        respond(res, 403, 'Forbidden - Bad Credentials');
        return undefined;
      default:
        this.challenge(res, o, result);
        return undefined;
    }
  }

  private challenge(res: Srf.SrfResponse, o: AuthenticateOptions, r: DigestResult): void {
    const values = this.deps.digest.challenge(o.realm, { stale: r.outcome === 'stale' || r.outcome === 'replay', algorithms: r.algorithms });
    const name = o.kind === 'www' ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    // RFC 8760 2.3: one header field per algorithm. srf joins an array with commas into
    // one field, which SIP's grammar (one challenge per field) does not allow.
    res.send(o.kind === 'www' ? 401 : 407, { headers: { [name]: values.join(`\r\n${name}: `) } });
  }

  private async ha1s(o: AuthenticateOptions, user: string): Promise<Ha1s | undefined> {
    if (o.only !== undefined && user !== o.only) return undefined;
    const c = await this.deps.users.credentials(o.realm, user);
    if (!c) return undefined;
    return c.ha1Sha256 ? { MD5: c.ha1, 'SHA-256': c.ha1Sha256 } : { MD5: c.ha1 };
  }

  private async failed(req: Srf.SrfRequest, from: string, r: DigestResult, log: Logger): Promise<void> {
    log.warn(`${req.method} refused: bad credentials`, { username: r.username, from, via: `${req.source_address}:${req.source_port}` });
    try {
      await this.deps.failures.record(from);
    } catch (err) {
      log.warn('failed authentication not counted', { error: (err as Error).message, from });
    }
  }
}
