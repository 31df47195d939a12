import type { ApiRouter } from '../../lib/api';
import { apiSchemas, defineErrors, errors, tenantFrom } from '../../lib/api';
import type { UserRepository } from '../../lib/store';
import type { FindMe, FindMeStore } from './settings';

export const findMeErrors = defineErrors({
  E_FINDME_LOCATION_UNKNOWN: { status: 422, message: 'a find-me location is no user of the tenant' },
});

const findMeSchema = {
  type: 'object', additionalProperties: false, required: ['enabled', 'locations'],
  properties: {
    enabled: { type: 'boolean' },
    locations: {
      type: 'array', maxItems: 10,
      items: {
        type: 'object', additionalProperties: false, required: ['ringSeconds'],
        // a location names users, groups, or both
        anyOf: [{ type: 'object', required: ['users'] }, { type: 'object', required: ['groups'] }],
        properties: {
          users: { type: 'array', items: apiSchemas.sipUserSchema, minItems: 1, maxItems: 10, uniqueItems: true },
          groups: {
            type: 'array', minItems: 1, maxItems: 5, uniqueItems: true,
            items: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' },
            description: 'call groups (a user\'s callGroups): all their members ring together',
          },
          ringSeconds: { type: 'integer', minimum: 5, maximum: 300 },
        },
      },
    },
  },
} as const;

export interface FindMeRoutesDeps {
  store: FindMeStore;
  users: UserRepository;
}

/** GET/PUT/DELETE /v1/tenants/{d}/users/{u}/findme (issue 17 item 3). */
export function findMeRoutes(api: ApiRouter, deps: () => FindMeRoutesDeps): void {
  type UserRoute = { Params: { domain: string; user: string } };
  const mustExist = async (domain: string, user: string): Promise<void> => {
    if (!(await deps().users.get(domain, user))) throw errors.E_NOT_FOUND(`no user ${user} in ${domain}`);
  };

  api.get<UserRoute>('/tenants/:domain/users/:user/findme', {
    tenant: tenantFrom.domainParam,
    schema: { summary: "A user's find-me locations", tags: ['findme'], params: apiSchemas.userParams, response: { 200: findMeSchema } },
  }, async (req) => {
    await mustExist(req.params.domain, req.params.user);
    return deps().store.get(req.params.domain, req.params.user);
  });

  api.put<UserRoute & { Body: FindMe }>('/tenants/:domain/users/:user/findme', {
    tenant: tenantFrom.domainParam,
    schema: {
      summary: "Set a user's find-me: locations (users or call groups of the tenant) rung one after another, each for its own time",
      tags: ['findme'], params: apiSchemas.userParams, body: findMeSchema, response: { 200: findMeSchema },
    },
  }, async (req) => {
    const { domain, user } = req.params;
    await mustExist(domain, user);
    for (const l of req.body.locations) {
      for (const u of l.users ?? []) {
        if (u !== user && !(await deps().users.get(domain, u))) throw findMeErrors.E_FINDME_LOCATION_UNKNOWN(`no user ${u} in ${domain}`);
      }
    }
    await deps().store.put(domain, user, req.body);
    return req.body;
  });

  api.delete<UserRoute>('/tenants/:domain/users/:user/findme', {
    tenant: tenantFrom.domainParam,
    schema: { summary: "Clear a user's find-me", tags: ['findme'], params: apiSchemas.userParams },
  }, async (req, reply) => {
    await deps().store.delete(req.params.domain, req.params.user);
    void reply.code(204);
  });
}
