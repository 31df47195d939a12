import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiRouter } from '../../lib/api';
import { apiSchemas, defineErrors, tenantFrom, type ApiScope } from '../../lib/api';
import { forwardedHere, forwardTo, type RequestBus } from '../../lib/bus';
import type { CallManager } from '../../lib/calls';
import { ConferenceError, type Conference, type ConferenceService } from './conference-service';
import type { ConferenceRecord } from './conference-store';
import type { ConferenceDirectory } from './directory';
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

export function conferenceView(c: Conference, instanceId: string): object {
  return {
    id: c.id, tenant: c.tenant, host: c.host, hostLeaves: c.hostLeaves, createdAt: c.createdAt, instanceId,
    members: [...c.members.values()].map((m) => ({ id: m.id, user: m.user, joinedAt: m.joinedAt, held: m.held })),
  };
}

/** A conference of another instance, as its owner last saved it. */
function recordView(r: ConferenceRecord): object {
  return {
    id: r.id, tenant: r.tenant, host: r.host, hostLeaves: r.hostLeaves, createdAt: r.createdAt, instanceId: r.instanceId,
    members: r.members.map((m) => ({ id: m.id, user: m.user, joinedAt: m.joinedAt, held: m.held ?? false })),
  };
}

export interface ConferenceRoutesDeps {
  conferences: ConferenceService;
  settings: ConferenceSettingsStore;
  calls: CallManager;
  /** other instances' conferences */
  directory: ConferenceDirectory;
  bus: RequestBus;
  instanceId: string;
  /** how long an added member's phones ring (NO_ANSWER_TIMEOUT): a forwarded add waits that long and the join */
  ringMs: number;
}

/** What a forwarded add waits beyond the ringing: the new member's join into the bridge. */
const JOIN_MARGIN_MS = 15_000;

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
  /** Another running instance's conference the request's token may see. */
  const elsewhere = async (scope: ApiScope, id: string): Promise<ConferenceRecord | undefined> => {
    const r = await deps().directory.find(id);
    return r && scope.allows(r.tenant) ? r : undefined;
  };
  /**
   * A change to a conference runs where its bridge is: here, or on the instance that owns
   * it (the request is forwarded there; one forwarded here is never sent on).
   */
  const onOwner = async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, here: () => Promise<unknown>, timeoutMs?: number): Promise<unknown> => {
    const id = req.params.id;
    if (visible(req.apiScope, id)) return wrap(here);
    const r = forwardedHere(req) ? undefined : await elsewhere(req.apiScope, id);
    if (!r?.instanceId) throw conferenceErrors.E_CONF_NOT_FOUND(`no conference ${id}`);
    return forwardTo(deps().bus, r.instanceId, req, reply, {
      subject: `conference ${id}`, gone: () => conferenceErrors.E_CONF_NOT_FOUND(`no conference ${id}: its instance is gone`),
    }, timeoutMs);
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
    return conferenceView(conf, d.instanceId);
  }));

  api.get<{ Querystring: { tenant?: string } }>('/conferences', {
    tenant: tenantFrom.optionalQuery('tenant'),
    schema: {
      summary: 'Live conferences, on every instance (`instanceId` says where each runs)', tags: ['conference'],
      querystring: { type: 'object', additionalProperties: false, properties: { tenant: apiSchemas.domainSchema } },
    },
  }, async (req) => {
    const d = deps();
    const tenant = req.query.tenant?.toLowerCase();
    const here = d.conferences.list().filter((c) => !tenant || c.tenant.toLowerCase() === tenant);
    const there = (await d.directory.elsewhere()).filter((r) => !tenant || r.tenant.toLowerCase() === tenant);
    return {
      conferences: [
        ...req.apiScope.filter(here, (c) => c.tenant).map((c) => ({ at: c.createdAt, view: conferenceView(c, d.instanceId) })),
        ...req.apiScope.filter(there, (r) => r.tenant).map((r) => ({ at: r.createdAt, view: recordView(r) })),
      ].sort((x, y) => x.at - y.at).map((x) => x.view),
    };
  });

  api.get<{ Params: { id: string } }>('/conferences/:id', {
    tenant: tenantFrom.resource,
    schema: { summary: 'One conference', tags: ['conference'], params: confParams },
  }, async (req) => {
    const c = visible(req.apiScope, req.params.id);
    if (c) return conferenceView(c, deps().instanceId);
    const r = await elsewhere(req.apiScope, req.params.id);
    if (!r) throw conferenceErrors.E_CONF_NOT_FOUND(`no conference ${req.params.id}`);
    return recordView(r);
  });

  api.post<{ Params: { id: string }; Body: { to: string } }>('/conferences/:id/members', {
    tenant: tenantFrom.resource,
    schema: {
      summary: 'Call a user and join it to the conference on answer', tags: ['conference'], params: confParams,
      body: { type: 'object', additionalProperties: false, required: ['to'], properties: { to: apiSchemas.sipUserSchema } },
    },
  }, async (req, reply) => onOwner(req, reply, async () => {
    const m = await deps().conferences.add(req.params.id, req.body.to);
    void reply.code(201);
    return { id: m.id, user: m.user, joinedAt: m.joinedAt };
  }, deps().ringMs + JOIN_MARGIN_MS));

  api.delete<{ Params: { id: string; member: string } }>('/conferences/:id/members/:member', {
    tenant: tenantFrom.resource,
    schema: { summary: 'Remove one member (BYE)', tags: ['conference'], params: memberParams },
  }, async (req, reply) => onOwner(req, reply, async () => {
    await deps().conferences.remove(req.params.id, req.params.member);
    void reply.code(204);
  }));

  api.delete<{ Params: { id: string } }>('/conferences/:id', {
    tenant: tenantFrom.resource,
    schema: { summary: 'End a conference (BYE to every member)', tags: ['conference'], params: confParams },
  }, async (req, reply) => onOwner(req, reply, async () => {
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
