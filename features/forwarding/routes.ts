import type { ApiRouter } from '../../lib/api';
import { apiSchemas, defineErrors, errors, tenantFrom } from '../../lib/api';
import type { UserRepository } from '../../lib/store';
import type { Forwarding, ForwardingStore } from './settings';

/** A target that is no user but a number (E.164 or digits): reached through the tenant's outbound routes. */
export const NUMBER = /^\+?[0-9]{2,32}$/;

export const forwardingErrors = defineErrors({
  E_FORWARD_TARGET_UNKNOWN: { status: 422, message: 'the forwarding target is no user of the tenant, nor a number' },
  E_FORWARD_TO_SELF: { status: 422, message: 'a user cannot forward to itself' },
});

const target = {
  ...apiSchemas.sipUserSchema,
  description: 'a user of the same tenant, or a number reached through the outbound routes (404 at call time without a matching route)',
} as const;

const forwardingSchema = {
  type: 'object', additionalProperties: false, required: ['dnd'],
  properties: {
    unconditional: target,
    busy: target,
    noAnswer: target,
    noAnswerSeconds: { type: 'integer', minimum: 5, maximum: 300 },
    noAnswerOverlap: { type: 'boolean', description: 'after noAnswerSeconds the no-answer target rings too while the phones keep ringing (first answer wins) instead of after they are cancelled' },
    dnd: { type: 'boolean' },
  },
} as const;

export interface ForwardingRoutesDeps {
  store: ForwardingStore;
  users: UserRepository;
}

/** GET/PUT/DELETE /v1/tenants/{d}/users/{u}/forwarding (issue 17 item 2). */
export function forwardingRoutes(api: ApiRouter, deps: () => ForwardingRoutesDeps): void {
  type UserRoute = { Params: { domain: string; user: string } };
  const mustExist = async (domain: string, user: string): Promise<void> => {
    if (!(await deps().users.get(domain, user))) throw errors.E_NOT_FOUND(`no user ${user} in ${domain}`);
  };

  api.get<UserRoute>('/tenants/:domain/users/:user/forwarding', {
    tenant: tenantFrom.domainParam,
    schema: { summary: "A user's call forwarding and do-not-disturb", tags: ['forwarding'], params: apiSchemas.userParams, response: { 200: forwardingSchema } },
  }, async (req) => {
    await mustExist(req.params.domain, req.params.user);
    return deps().store.get(req.params.domain, req.params.user);
  });

  api.put<UserRoute & { Body: Forwarding }>('/tenants/:domain/users/:user/forwarding', {
    tenant: tenantFrom.domainParam,
    schema: {
      summary: "Set a user's call forwarding (unconditional, busy, no answer) and do-not-disturb", tags: ['forwarding'],
      params: apiSchemas.userParams, body: forwardingSchema, response: { 200: forwardingSchema },
    },
  }, async (req) => {
    const { domain, user } = req.params;
    await mustExist(domain, user);
    for (const t of [req.body.unconditional, req.body.busy, req.body.noAnswer]) {
      if (t === undefined) continue;
      if (t === user) throw forwardingErrors.E_FORWARD_TO_SELF(`${user} cannot forward to itself`);
      if (!NUMBER.test(t) && !(await deps().users.get(domain, t))) throw forwardingErrors.E_FORWARD_TARGET_UNKNOWN(`no user ${t} in ${domain}`);
    }
    await deps().store.put(domain, user, req.body);
    return req.body;
  });

  api.delete<UserRoute>('/tenants/:domain/users/:user/forwarding', {
    tenant: tenantFrom.domainParam,
    schema: { summary: "Clear a user's call forwarding and do-not-disturb", tags: ['forwarding'], params: apiSchemas.userParams },
  }, async (req, reply) => {
    await deps().store.delete(req.params.domain, req.params.user);
    void reply.code(204);
  });
}
