import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from './errors';

/** Routes under this prefix need the bearer token. */
export const PROTECTED_PREFIX = '/v1';

/**
 * An onRequest hook demanding `Authorization: Bearer <token>` (RFC 6750 2.1) on /v1.
 *
 * Whether a request is protected is decided by the route it matched, not by the raw URL,
 * so no spelling of a path can reach a /v1 handler without the token. Unmatched URLs
 * under /v1 get 401 too, so a client without the token cannot probe which routes exist.
 */
export function bearerAuth(token: string): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  if (!token) throw new TypeError('the API token must not be empty');
  // Comparing digests of equal length keeps timingSafeEqual from leaking the length and
  // the comparison itself from leaking the position of the first difference.
  const expected = digest(token);
  return async (req, reply) => {
    const route = req.routeOptions.url;
    const path = route ?? req.url.split('?')[0];
    if (path !== PROTECTED_PREFIX && !path.startsWith(`${PROTECTED_PREFIX}/`)) return;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
    if (match && timingSafeEqual(digest(match[1]), expected)) return;
    reply.header('www-authenticate', match ? 'Bearer error="invalid_token"' : 'Bearer');
    throw errors.E_UNAUTHORIZED();
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
