import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { SipAuthenticator } from '../security';

/**
 * Proxy authentication of a request from a phone (RFC 3261 22.3): 407 with a fresh
 * challenge when credentials are missing, stale or replayed, 400 when they were made for
 * another Request-URI, 403 when they are wrong or the source is banned; the
 * authenticated user name otherwise. Undefined means the request was answered.
 */
export async function proxyAuthenticate(req: Srf.SrfRequest, res: Srf.SrfResponse, realm: string,
  deps: { auth: SipAuthenticator }, log: Logger): Promise<string | undefined> {
  return deps.auth.authenticate(req, res, { realm, kind: 'proxy' }, log);
}
