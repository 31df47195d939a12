import type { HttpRequest, HttpResponse } from '../../../lib/api';
import type { AuthGuard } from '../../../lib/feature';
import type { DigestAuth, Ha1s } from '../../../lib/sip/digest-auth';

/** A user's HA1 values in a tenant (the SIP credentials), undefined for no such user. */
export type CredentialLookup = (tenant: string, user: string) => Promise<Ha1s | undefined>;

/** bans and failure counting shared with SIP (FeatureContext.auth), so guesses over HTTP count with those over SIP */
export type { AuthGuard } from '../../../lib/feature';

export type DigestVerdict = { ok: true; user: string } | { ok: false; response: HttpResponse };

const json = (status: number, code: string, message: string, headers: Record<string, string | string[]> = {}): HttpResponse =>
  ({ status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify({ code, message }) });

/**
 * HTTP Digest (RFC 7616) with the user's SIP credentials, realm = the tenant (the realm
 * their HA1 was computed for). The digest-uri must be the request-target exactly as
 * sent (RFC 7616 3.4.6). Wrong credentials are challenged again (RFC 7235 3.1: 401 when
 * the credentials are refused), so a client whose user typed a wrong password asks again.
 */
export async function digestAuthenticate(req: HttpRequest, tenant: string, digest: DigestAuth, lookup: CredentialLookup, guard?: AuthGuard): Promise<DigestVerdict> {
  const realm = tenant;
  if (guard?.isBanned(req.remoteAddress)) return { ok: false, response: json(403, 'E_FORBIDDEN', 'too many failed authentications') };
  const result = await digest.check({ header: req.headers.authorization, realm, method: req.method, requestUri: req.url },
    (user) => lookup(tenant, user));
  if (result.outcome === 'ok' && result.username !== undefined) return { ok: true, user: result.username };
  if (result.outcome === 'uri-mismatch') return { ok: false, response: json(400, 'E_BAD_REQUEST', 'the digest uri is not the request-target') };
  if (result.outcome === 'bad' && guard) {
    // counted, then challenged again like any refusal (a failure to count is no reason to let a guess through)
    await guard.record(req.remoteAddress).catch(() => undefined);
  }
  const stale = result.outcome === 'stale' || result.outcome === 'replay';
  return {
    ok: false,
    response: json(401, 'E_UNAUTHORIZED', 'HTTP digest with the SIP credentials of the document\'s user required',
      { 'www-authenticate': digest.challenge(realm, { stale, algorithms: result.algorithms }) }),
  };
}

export { json as jsonError };
