import type { ApiRouter } from '../../lib/api';
import { apiSchemas, defineErrors, tenantFrom, type ApiScope } from '../../lib/api';
import type { CallManager } from '../../lib/calls';
import { ConferenceError, type Conference, type ConferenceService } from './conference-service';
import type { ConferenceSettings, ConferenceSettingsStore } from './settings';

export const conferenceErrors = defineErrors({
  E_CONF_NOT_FOUND: { status: 404, message: 'no such conference' },
  E_CONF_MEMBER_NOT_FOUND: { status: 404, message: 'no such member' },
  E_CONF_CALL_NOT_FOUND: { status: 404, sipStatus: 404, message: 'no such call on this instance' },
  E_CONF_NOT_ANSWERED: { status: 409, message: 'only answered calls can be merged' },
  E_CONF_NO_SHARED_PARTY: { status: 409, message: 'the calls do not share a party' },
  E_CONF_NO_ANSWER: { status: 409, sipStatus: 480, message: 'the party did not answer' },
  E_CONF_FAILED: { status: 502, sipStatus: 500, message: 'the conference could not be set up' },
});

export function toConferenceError(err: unknown): Error {
  if (!(err instanceof ConferenceError)) return err as Error;
  switch (err.code) {
    case 'no-conference': return conferenceErrors.E_CONF_NOT_FOUND(err.message);
    case 'no-member': return conferenceErrors.E_CONF_MEMBER_NOT_FOUND(err.message);
    case 'no-call': return conferenceErrors.E_CONF_CALL_NOT_FOUND(err.message);
    case 'not-answered': return conferenceErrors.E_CONF_NOT_ANSWERED(err.message);
    case 'no-shared-party': return conferenceErrors.E_CONF_NO_SHARED_PARTY(err.message);
    case 'no-answer': return conferenceErrors.E_CONF_NO_ANSWER(err.message);
    case 'failed': return conferenceErrors.E_CONF_FAILED(err.message);
  }
}

export function conferenceView(c: Conference): object {
  return {
    id: c.id, tenant: c.tenant, host: c.host, hostLeaves: c.hostLeaves, createdAt: c.createdAt,
    members: [...c.members.values()].map((m) => ({ id: m.id, user: m.user, joinedAt: m.joinedAt, held: m.held })),
  };
}

export interface ConferenceRoutesDeps {
  conferences: ConferenceService;
  settings: ConferenceSettingsStore;
  calls: CallManager;
}

const confParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[a-f0-9]{1,64}$' } } } as const;
const memberParams = {
  type: 'object', required: ['id', 'member'],
  properties: { id: { type: 'string', pattern: '^[a-f0-9]{1,64}$' }, member: { type: 'string', pattern: '^[a-f0-9]{1,64}$' } },
} as const;

/** REST for conferences: merge two calls, list, add and remove members, end; per-tenant settings. */
export function conferenceRoutes(api: ApiRouter, deps: () => ConferenceRoutesDeps): void {
  const wrap = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw toConferenceError(err);
    }
  };
  /** The conference, if it exists and the request's token may see it. */
  const visible = (scope: ApiScope, id: string): Conference | undefined => {
    const c = deps().conferences.get(id);
    return c && scope.allows(c.tenant) ? c : undefined;
  };

  // Conferences and calls of another tenant are not found for a tenant token (404 like a
  // missing one): their ids must not tell a tenant what runs elsewhere.
  api.post<{ Body: { calls: [string, string] } }>('/conferences', {
    tenant: tenantFrom.resource,
    // two calls of another instance: the merge is run there (lib/bus/rest-owner.ts)
    callIds: { from: 'body', name: 'calls' },
    schema: {
      summary: 'Merge two calls that share a party into a conference', tags: ['conference'],
      body: {
        type: 'object', additionalProperties: false, required: ['calls'],
        properties: { calls: { type: 'array', items: apiSchemas.callIdSchema, minItems: 2, maxItems: 2 } },
      },
    },
  }, async (req, reply) => wrap(async () => {
    const d = deps();
    const [a, b] = req.body.calls.map((id) => d.calls.get(id));
    if (!a || !b || !req.apiScope.allows(a.tenant) || !req.apiScope.allows(b.tenant)) throw new ConferenceError('no-call', 'no such call on this instance');
    const conf = await d.conferences.merge(a, b);
    void reply.code(201);
    return conferenceView(conf);
  }));

  api.get<{ Querystring: { tenant?: string } }>('/conferences', {
    tenant: tenantFrom.optionalQuery('tenant'),
    schema: {
      summary: 'Conferences on this instance', tags: ['conference'],
      querystring: { type: 'object', additionalProperties: false, properties: { tenant: apiSchemas.domainSchema } },
    },
  }, async (req) => ({ conferences: req.apiScope.filter(deps().conferences.list(req.query.tenant), (c) => c.tenant).map(conferenceView) }));

  api.get<{ Params: { id: string } }>('/conferences/:id', {
    tenant: tenantFrom.resource,
    schema: { summary: 'One conference', tags: ['conference'], params: confParams },
  }, async (req) => wrap(async () => {
    const c = visible(req.apiScope, req.params.id);
    if (!c) throw new ConferenceError('no-conference', `no conference ${req.params.id}`);
    return conferenceView(c);
  }));

  api.post<{ Params: { id: string }; Body: { to: string } }>('/conferences/:id/members', {
    tenant: tenantFrom.resource,
    schema: {
      summary: 'Call a user and join it to the conference on answer', tags: ['conference'], params: confParams,
      body: { type: 'object', additionalProperties: false, required: ['to'], properties: { to: apiSchemas.sipUserSchema } },
    },
  }, async (req, reply) => wrap(async () => {
    if (!visible(req.apiScope, req.params.id)) throw new ConferenceError('no-conference', `no conference ${req.params.id}`);
    const m = await deps().conferences.add(req.params.id, req.body.to);
    void reply.code(201);
    return { id: m.id, user: m.user, joinedAt: m.joinedAt };
  }));

  api.delete<{ Params: { id: string; member: string } }>('/conferences/:id/members/:member', {
    tenant: tenantFrom.resource,
    schema: { summary: 'Remove one member (BYE)', tags: ['conference'], params: memberParams },
  }, async (req, reply) => wrap(async () => {
    if (!visible(req.apiScope, req.params.id)) throw new ConferenceError('no-conference', `no conference ${req.params.id}`);
    await deps().conferences.remove(req.params.id, req.params.member);
    void reply.code(204);
  }));

  api.delete<{ Params: { id: string } }>('/conferences/:id', {
    tenant: tenantFrom.resource,
    schema: { summary: 'End a conference (BYE to every member)', tags: ['conference'], params: confParams },
  }, async (req, reply) => wrap(async () => {
    if (!visible(req.apiScope, req.params.id)) throw new ConferenceError('no-conference', `no conference ${req.params.id}`);
    await deps().conferences.end(req.params.id, 'api');
    void reply.code(204);
  }));

  api.get<{ Params: { domain: string } }>('/tenants/:domain/conference', {
    tenant: tenantFrom.domainParam,
    schema: { summary: 'Conference settings of a tenant', tags: ['conference'], params: apiSchemas.tenantParams },
  }, async (req) => deps().settings.get(req.params.domain));

  api.put<{ Params: { domain: string }; Body: ConferenceSettings }>('/tenants/:domain/conference', {
    tenant: tenantFrom.domainParam,
    schema: {
      summary: 'Set the conference settings of a tenant', tags: ['conference'], params: apiSchemas.tenantParams,
      body: {
        type: 'object', additionalProperties: false, required: ['mergeCode', 'hostLeaves'],
        properties: {
          mergeCode: { type: 'string', pattern: '^[*#0-9]{1,8}$' },
          hostLeaves: { type: 'string', enum: ['end', 'continue'] },
          bridgeUri: { type: 'string', pattern: '^sips?:[^\\s]{1,250}$' },
        },
      },
    },
  }, async (req) => {
    await deps().settings.put(req.params.domain, req.body);
    return req.body;
  });
}
