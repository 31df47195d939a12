import type { CallRecord } from '../../store';
import type { CallsPort } from '../deps';
import { errors } from '../errors';
import type { ApiRouter } from '../router';
import { tenantFrom } from '../scope';
import { callParams, dateTime, domainSchema, iso } from '../schemas';

const partySchema = {
  type: 'object',
  properties: {
    user: { type: 'string' }, tenant: { type: 'string' }, callId: { type: 'string' }, tag: { type: 'string' }, uri: { type: 'string' },
  },
} as const;

export const callSchema = {
  type: 'object',
  required: ['id', 'tenant', 'state', 'caller', 'callee', 'createdAt'],
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    state: { type: 'string', enum: ['ringing', 'answered', 'ended'] },
    caller: partySchema,
    callee: partySchema,
    mediaCallId: { type: 'string' },
    instanceId: { type: 'string' },
    createdAt: dateTime,
    answeredAt: dateTime,
    held: { type: 'object', properties: { caller: dateTime, callee: dateTime }, description: 'since when each party holds' },
  },
} as const;

function view(c: CallRecord): Record<string, unknown> {
  return {
    ...c,
    createdAt: iso(c.createdAt),
    answeredAt: iso(c.answeredAt),
    held: c.held && { caller: iso(c.held.caller), callee: iso(c.held.callee) },
  };
}

/** Live calls: /v1/calls[/:id]. */
export function callRoutes(router: ApiRouter, calls: CallsPort): void {
  router.get<{ Querystring: { tenant?: string } }>('/calls', {
    // ?tenant= of another tenant is 403; without it a tenant token sees its own calls only
    tenant: tenantFrom.optionalQuery('tenant'),
    schema: {
      summary: 'Live calls', tags: ['calls'],
      querystring: { type: 'object', additionalProperties: false, properties: { tenant: domainSchema } },
      response: { 200: { type: 'object', required: ['calls'], properties: { calls: { type: 'array', items: callSchema } } } },
    },
  }, async (req) => {
    const tenant = req.query.tenant?.toLowerCase();
    const list = await calls.list();
    return { calls: req.apiScope.filter(list, (c) => c.tenant).filter((c) => !tenant || c.tenant.toLowerCase() === tenant).map(view) };
  });

  // A call of another tenant is answered like a call that does not exist (404, not 403):
  // call ids name SIP dialogs, and a tenant token must not learn which ones are up.
  router.get<{ Params: { id: string } }>('/calls/:id', {
    tenant: tenantFrom.resource,
    schema: { summary: 'One live call', tags: ['calls'], params: callParams, response: { 200: callSchema } },
  }, async (req) => {
    const call = await calls.get(req.params.id);
    if (!call || !req.apiScope.allows(call.tenant)) throw errors.E_NOT_FOUND(`no call ${req.params.id}`);
    return view(call);
  });

  router.delete<{ Params: { id: string } }>('/calls/:id', {
    tenant: tenantFrom.resource,
    schema: { summary: 'Hang up a call (BYE or CANCEL on both legs)', tags: ['calls'], params: callParams, response: { 204: { type: 'null' } } },
  }, async (req, reply) => {
    if (!req.apiScope.isOperator) {
      const call = await calls.get(req.params.id);
      if (!call || !req.apiScope.allows(call.tenant)) throw errors.E_NOT_FOUND(`no call ${req.params.id}`);
    }
    if (!(await calls.hangup(req.params.id))) throw errors.E_NOT_FOUND(`no call ${req.params.id}`);
    return reply.code(204).send();
  });
}
