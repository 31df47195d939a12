import type { ApiRouter } from '../../lib/api';
import { apiSchemas, defineErrors } from '../../lib/api';
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

  api.post<{ Body: { calls: [string, string] } }>('/conferences', {
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
    if (!a || !b) throw new ConferenceError('no-call', 'no such call on this instance');
    const conf = await d.conferences.merge(a, b);
    void reply.code(201);
    return conferenceView(conf);
  }));

  api.get<{ Querystring: { tenant?: string } }>('/conferences', {
    schema: {
      summary: 'Conferences on this instance', tags: ['conference'],
      querystring: { type: 'object', additionalProperties: false, properties: { tenant: apiSchemas.domainSchema } },
    },
  }, async (req) => ({ conferences: deps().conferences.list(req.query.tenant).map(conferenceView) }));

  api.get<{ Params: { id: string } }>('/conferences/:id', {
    schema: { summary: 'One conference', tags: ['conference'], params: confParams },
  }, async (req) => wrap(async () => {
    const c = deps().conferences.get(req.params.id);
    if (!c) throw new ConferenceError('no-conference', `no conference ${req.params.id}`);
    return conferenceView(c);
  }));

  api.post<{ Params: { id: string }; Body: { to: string } }>('/conferences/:id/members', {
    schema: {
      summary: 'Call a user and join it to the conference on answer', tags: ['conference'], params: confParams,
      body: { type: 'object', additionalProperties: false, required: ['to'], properties: { to: apiSchemas.sipUserSchema } },
    },
  }, async (req, reply) => wrap(async () => {
    const m = await deps().conferences.add(req.params.id, req.body.to);
    void reply.code(201);
    return { id: m.id, user: m.user, joinedAt: m.joinedAt };
  }));

  api.delete<{ Params: { id: string; member: string } }>('/conferences/:id/members/:member', {
    schema: { summary: 'Remove one member (BYE)', tags: ['conference'], params: memberParams },
  }, async (req, reply) => wrap(async () => {
    await deps().conferences.remove(req.params.id, req.params.member);
    void reply.code(204);
  }));

  api.delete<{ Params: { id: string } }>('/conferences/:id', {
    schema: { summary: 'End a conference (BYE to every member)', tags: ['conference'], params: confParams },
  }, async (req, reply) => wrap(async () => {
    if (!deps().conferences.get(req.params.id)) throw new ConferenceError('no-conference', `no conference ${req.params.id}`);
    await deps().conferences.end(req.params.id, 'api');
    void reply.code(204);
  }));

  api.get<{ Params: { domain: string } }>('/tenants/:domain/conference', {
    schema: { summary: 'Conference settings of a tenant', tags: ['conference'], params: apiSchemas.tenantParams },
  }, async (req) => deps().settings.get(req.params.domain));

  api.put<{ Params: { domain: string }; Body: ConferenceSettings }>('/tenants/:domain/conference', {
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
