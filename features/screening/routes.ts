import type { ApiRouter } from '../../lib/api';
import { apiSchemas, errors, tenantFrom } from '../../lib/api';
import type { UserRepository } from '../../lib/store';
import type { ScreeningStore, TenantScreening, UserScreening } from './lists';

/**
 * A screening pattern (glob.ts): URI and number characters with `*` and `?`; no regex
 * syntax, so nothing a client sends can make a match backtrack.
 */
const patternSchema = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9*?.+#_~:@;=%!-]+$' } as const;
const patternList = { type: 'array', items: patternSchema, maxItems: 200, uniqueItems: true } as const;

const userScreeningSchema = {
  type: 'object', additionalProperties: false, required: ['incoming', 'outgoing'],
  properties: {
    incoming: {
      type: 'object', additionalProperties: false, required: ['anonymous', 'callers'],
      properties: { anonymous: { type: 'boolean' }, callers: patternList },
    },
    outgoing: { type: 'object', additionalProperties: false, required: ['destinations'], properties: { destinations: patternList } },
  },
} as const;

const tenantScreeningSchema = {
  type: 'object', additionalProperties: false, required: ['destinations'], properties: { destinations: patternList },
} as const;

export interface ScreeningRoutesDeps {
  store: ScreeningStore;
  users: UserRepository;
}

/** REST for screening lists: per user (incoming callers, outgoing destinations) and per tenant (outgoing). */
export function screeningRoutes(api: ApiRouter, deps: () => ScreeningRoutesDeps): void {
  type UserRoute = { Params: { domain: string; user: string } };
  const mustExist = async (domain: string, user: string): Promise<void> => {
    if (!(await deps().users.get(domain, user))) throw errors.E_NOT_FOUND(`no user ${user} in ${domain}`);
  };

  api.get<UserRoute>('/tenants/:domain/users/:user/screening', {
    tenant: tenantFrom.domainParam,
    schema: { summary: "A user's screening lists", tags: ['screening'], params: apiSchemas.userParams, response: { 200: userScreeningSchema } },
  }, async (req) => {
    await mustExist(req.params.domain, req.params.user);
    return deps().store.user(req.params.domain, req.params.user);
  });

  api.put<UserRoute & { Body: UserScreening }>('/tenants/:domain/users/:user/screening', {
    tenant: tenantFrom.domainParam,
    schema: {
      summary: "Set a user's screening: callers refused with 403 Screening Failure (Terminating), destinations with (Originating)",
      tags: ['screening'], params: apiSchemas.userParams, body: userScreeningSchema, response: { 200: userScreeningSchema },
    },
  }, async (req) => {
    await mustExist(req.params.domain, req.params.user);
    await deps().store.putUser(req.params.domain, req.params.user, req.body);
    return req.body;
  });

  api.delete<UserRoute>('/tenants/:domain/users/:user/screening', {
    tenant: tenantFrom.domainParam,
    schema: { summary: "Clear a user's screening lists", tags: ['screening'], params: apiSchemas.userParams },
  }, async (req, reply) => {
    await deps().store.deleteUser(req.params.domain, req.params.user);
    void reply.code(204);
  });

  api.get<{ Params: { domain: string } }>('/tenants/:domain/screening', {
    tenant: tenantFrom.domainParam,
    schema: { summary: "A tenant's outgoing screening", tags: ['screening'], params: apiSchemas.tenantParams, response: { 200: tenantScreeningSchema } },
  }, async (req) => deps().store.tenant(req.params.domain));

  api.put<{ Params: { domain: string }; Body: TenantScreening }>('/tenants/:domain/screening', {
    tenant: tenantFrom.domainParam,
    schema: {
      summary: "Set a tenant's outgoing screening: destinations nobody of the tenant may call", tags: ['screening'],
      params: apiSchemas.tenantParams, body: tenantScreeningSchema, response: { 200: tenantScreeningSchema },
    },
  }, async (req) => {
    await deps().store.putTenant(req.params.domain, req.body);
    return req.body;
  });

  api.delete<{ Params: { domain: string } }>('/tenants/:domain/screening', {
    tenant: tenantFrom.domainParam,
    schema: { summary: "Clear a tenant's outgoing screening", tags: ['screening'], params: apiSchemas.tenantParams },
  }, async (req, reply) => {
    await deps().store.deleteTenant(req.params.domain);
    void reply.code(204);
  });
}
