import type { TenantTokensPort } from '../deps';
import { errors } from '../errors';
import type { ApiRouter } from '../router';
import { dateTime, domainSchema, iso, tenantParams } from '../schemas';

const tokenIdSchema = { type: 'string', pattern: '^[0-9a-f]{16}$' } as const;

const tokenInfoSchema = {
  type: 'object',
  required: ['id', 'tenant', 'createdAt'],
  properties: { id: { type: 'string' }, tenant: { type: 'string' }, createdAt: dateTime },
} as const;

/**
 * Tenant tokens: /v1/tenants/:domain/tokens[/:id]. None of these routes declares a
 * tenant source, so they are the operator's alone: a tenant token can neither mint
 * another token (which would outlive its own revocation) nor revoke its siblings.
 */
export function tokenRoutes(router: ApiRouter, tokens: TenantTokensPort): void {
  router.post<{ Params: { domain: string } }>('/tenants/:domain/tokens', {
    schema: {
      summary: 'Create a REST token that reaches only this tenant', tags: ['tokens'], params: tenantParams,
      description: 'The token is in this answer only; the server keeps its SHA-256 and cannot show it again.',
      response: {
        201: {
          type: 'object', required: ['id', 'token', 'tenant', 'createdAt'],
          properties: { ...tokenInfoSchema.properties, token: { type: 'string', description: 'send as `Authorization: Bearer <token>`' } },
        },
      },
    },
  }, async (req, reply) => {
    const { token, record } = await tokens.create(req.params.domain);
    reply.header('location', `/v1/tenants/${record.tenant}/tokens/${record.id}`);
    // RFC 6749 5.1: a response carrying a credential must not be cached.
    reply.header('cache-control', 'no-store');
    return reply.code(201).send({ id: record.id, token, tenant: record.tenant, createdAt: iso(record.createdAt) });
  });

  router.get<{ Params: { domain: string } }>('/tenants/:domain/tokens', {
    schema: {
      summary: "A tenant's REST tokens (ids and creation times, never the tokens)", tags: ['tokens'], params: tenantParams,
      response: { 200: { type: 'object', required: ['tokens'], properties: { tokens: { type: 'array', items: tokenInfoSchema } } } },
    },
  }, async (req) => ({
    tokens: (await tokens.list(req.params.domain)).map((t) => ({ id: t.id, tenant: t.tenant, createdAt: iso(t.createdAt) })),
  }));

  router.delete<{ Params: { domain: string; id: string } }>('/tenants/:domain/tokens/:id', {
    schema: {
      summary: 'Revoke a REST token: requests carrying it get 401 from now on', tags: ['tokens'],
      params: { type: 'object', required: ['domain', 'id'], additionalProperties: false, properties: { domain: domainSchema, id: tokenIdSchema } },
      response: { 204: { type: 'null' } },
    },
  }, async (req, reply) => {
    if (!(await tokens.revoke(req.params.domain, req.params.id))) throw errors.E_NOT_FOUND(`no token ${req.params.id} in ${req.params.domain}`);
    return reply.code(204).send();
  });
}
