import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { DigestAuth } from '../sip/digest-auth';
import { respond } from '../sip/respond';
import type { UserRepository } from '../store';

/**
 * Proxy authentication of a request from a phone (RFC 3261 22.3): 407 with a fresh
 * challenge when credentials are missing or stale, 403 when they are wrong; the
 * authenticated user name otherwise. Undefined means the request was answered.
 */
export async function proxyAuthenticate(req: Srf.SrfRequest, res: Srf.SrfResponse, realm: string,
  deps: { digest: DigestAuth; users: UserRepository }, log: Logger): Promise<string | undefined> {
  const { outcome, username = '' } = await deps.digest.check(req.get('Proxy-Authorization'), realm, req.method,
    async (user) => (await deps.users.credentials(realm, user))?.ha1);
  if (outcome === 'missing' || outcome === 'stale') {
    res.send(407, { headers: { 'Proxy-Authenticate': deps.digest.challenge(realm, outcome === 'stale') } });
    return undefined;
  }
  if (outcome !== 'ok') {
    log.warn(`${req.method} refused: bad credentials`, { username, from: `${req.source_address}:${req.source_port}` });
    respond(res, 403, 'Forbidden - Bad Credentials');
    return undefined;
  }
  return username;
}
