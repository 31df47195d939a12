import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TenantTokensPort } from './deps';
import { errors } from './errors';
import { ApiScope } from './scope';

/** Routes under this prefix need a bearer token. */
export const PROTECTED_PREFIX = '/v1';

/** The longest bearer token looked up at all: ours are far shorter, and a longer one is no token of ours. */
const MAX_TOKEN_LENGTH = 512;

/**
 * An onRequest hook demanding `Authorization: Bearer <token>` (RFC 6750 2.1) on /v1 and
 * resolving it to the request's scope (`req.apiScope`): the operator token, or a tenant
 * token from the store. Which tenant a route may be used for is enforced later, once the
 * request is parsed (scope.ts, enforceTenantScope).
 *
 * Whether a request is protected is decided by the route it matched, not by the raw URL,
 * so no spelling of a path can reach a /v1 handler without the token. Unmatched URLs
 * under /v1 get 401 too, so a client without a token cannot probe which routes exist.
 */
export function bearerAuth(token: string, tenantTokens: TenantTokensPort): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  if (!token) throw new TypeError('the API token must not be empty');
  // Comparing digests of equal length keeps timingSafeEqual from leaking the length and
  // the comparison itself from leaking the position of the first difference.
  const expected = digest(token);
  return async (req, reply) => {
    const route = req.routeOptions.url;
    const path = route ?? req.url.split('?')[0];
    if (path !== PROTECTED_PREFIX && !path.startsWith(`${PROTECTED_PREFIX}/`)) return;
    const presented = bearerToken(req.headers.authorization);
    if (presented !== undefined) {
      if (timingSafeEqual(digest(presented), expected)) {
        req.apiScope = ApiScope.operator();
        return;
      }
      // Tenant tokens are found by their hash, so the lookup itself compares nothing
      // secret; a revoked token is gone from the store and fails here at once.
      const found = await tenantTokens.resolve(presented);
      if (found) {
        req.apiScope = ApiScope.forTenant(found.tenant, found.id);
        return;
      }
    }
    reply.header('www-authenticate', presented !== undefined ? 'Bearer error="invalid_token"' : 'Bearer');
    throw errors.E_UNAUTHORIZED();
  };
}

/**
 * The token of `Bearer <token>` (RFC 6750 2.1: the scheme is case-insensitive), or
 * undefined. A hand-written scanner, linear in a bounded header.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header || header.length > MAX_TOKEN_LENGTH + 16) return undefined;
  if (header.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  let i = 6;
  const blank = (c: string): boolean => c === ' ' || c === '\t';
  if (i >= header.length || !blank(header[i])) return undefined;
  while (i < header.length && blank(header[i])) i++;
  const start = i;
  while (i < header.length && header.charCodeAt(i) > 0x20 && header.charCodeAt(i) !== 0x7f) i++;
  const end = i;
  while (i < header.length && blank(header[i])) i++;
  if (i !== header.length || end === start) return undefined;
  return header.slice(start, end);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
