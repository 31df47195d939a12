import type { ApiRouter } from '../../lib/api';
import { apiSchemas, defineErrors, errors, tenantFrom } from '../../lib/api';
import type { CallManager, Side } from '../../lib/calls';
import type { ParkLot, ParkLotStore } from './lot';
import type { RemoteParkResult } from './bus-ops';
import { ParkError, type ParkService, type RetrieveOutcome } from './park-service';

export const parkErrors = defineErrors({
  E_PARK_LOT_FULL: { status: 409, sipStatus: 486, message: 'the park lot is full' },
  E_PARK_SLOT_TAKEN: { status: 409, sipStatus: 486, message: 'that park slot is taken' },
  E_PARK_NO_SLOT: { status: 400, sipStatus: 404, message: 'no such park slot' },
  E_PARK_SLOT_EMPTY: { status: 404, sipStatus: 404, message: 'nothing is parked in that slot' },
  E_PARK_SLOT_BUSY: { status: 409, sipStatus: 486, message: 'the call in that slot is being retrieved' },
  E_CALL_NOT_FOUND: { status: 404, sipStatus: 481, message: 'no such call on this instance' },
  E_CALL_NOT_ANSWERED: { status: 409, message: 'only an answered call can be parked' },
  E_PARK_FAILED: { status: 502, sipStatus: 500, message: 'the call could not be parked' },
  E_PARK_NO_ANSWER: { status: 409, sipStatus: 480, message: 'nobody answered; the call is parked in its slot again' },
});

export function toParkApiError(err: unknown): Error {
  if (!(err instanceof ParkError)) return err as Error;
  switch (err.code) {
    case 'full': return parkErrors.E_PARK_LOT_FULL();
    case 'taken': return parkErrors.E_PARK_SLOT_TAKEN(err.message);
    case 'no-slot': return parkErrors.E_PARK_NO_SLOT(err.message);
    case 'not-answered': return parkErrors.E_CALL_NOT_ANSWERED();
    case 'music': return parkErrors.E_PARK_FAILED(err.message);
  }
}

const slotPattern = '^[0-9]{1,8}$';

export interface ParkRoutesDeps {
  lots: ParkLotStore;
  park: ParkService;
  calls: CallManager;
  /** told after a tenant's lot was set (every instance's consoles hear it) */
  lotChanged(tenant: string): void;
  /** a call or slot owned by another instance: the request goes to that instance (bus) */
  remote: {
    /** the owner of a call this instance does not have and the call's tenant, if any */
    ownerOfCall(id: string): Promise<{ owner: string; tenant: string } | undefined>;
    /** the owner parks it (lib/bus); a refusal is a result, a lost owner an error */
    park(owner: string, callId: string, party: Side, slot?: string): Promise<RemoteParkResult>;
    /** the owner of what is parked in a slot, if another instance */
    ownerOfSlot(tenant: string, slot: string): Promise<string | undefined>;
    retrieveTo(owner: string, tenant: string, slot: string, to: string, ringMs: number): Promise<RetrieveOutcome>;
  };
}

/** The owning instance's answer to a remote park, as REST says it. */
function remoteParkAnswer(r: RemoteParkResult): { slot: string } {
  if (r.refused === 'no-call') throw parkErrors.E_CALL_NOT_FOUND();
  if (r.refused) throw toParkApiError(new ParkError(r.refused, r.message ?? ''));
  if (!r.slot) throw parkErrors.E_PARK_FAILED('the owning instance named no slot');
  return { slot: r.slot };
}

/** REST for park: the lot of a tenant, parking a live call, the list of parked calls. */
export function parkRoutes(api: ApiRouter, deps: () => ParkRoutesDeps): void {
  api.get<{ Params: { domain: string } }>('/tenants/:domain/park', {
    tenant: tenantFrom.domainParam,
    schema: { summary: 'The park lot of a tenant', tags: ['park'], params: apiSchemas.tenantParams },
  }, async (req) => deps().lots.get(req.params.domain));

  api.put<{ Params: { domain: string }; Body: ParkLot }>('/tenants/:domain/park', {
    tenant: tenantFrom.domainParam,
    schema: {
      summary: 'Set the park lot of a tenant', tags: ['park'], params: apiSchemas.tenantParams,
      body: {
        type: 'object', additionalProperties: false, required: ['extension', 'firstSlot', 'lastSlot'],
        properties: {
          extension: { type: 'string', pattern: slotPattern },
          firstSlot: { type: 'integer', minimum: 1, maximum: 99999999 },
          lastSlot: { type: 'integer', minimum: 1, maximum: 99999999 },
          timeout: { type: 'integer', minimum: 1, maximum: 3600, default: 45 },
          mohClass: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', default: 'default' },
          comebackTimeout: { type: 'integer', minimum: 1, maximum: 300, default: 20 },
          announce: { type: 'boolean', default: true },
          fallback: apiSchemas.sipUserSchema,
        },
      },
    },
  }, async (req) => {
    const lot = req.body;
    if (lot.lastSlot < lot.firstSlot || lot.lastSlot - lot.firstSlot >= 1000) throw errors.E_BAD_REQUEST('lastSlot must be at or after firstSlot, 1000 slots at most');
    const ext = Number(lot.extension);
    if (ext >= lot.firstSlot && ext <= lot.lastSlot) throw errors.E_BAD_REQUEST('the park extension must not be a slot');
    const d = deps();
    await d.lots.put(req.params.domain, lot);
    d.lotChanged(req.params.domain);
    return lot;
  });

  api.get<{ Querystring: { tenant: string } }>('/parks', {
    tenant: tenantFrom.query('tenant'),
    schema: {
      summary: 'Parked calls of a tenant: slot, call, who parked it, since when, until when, and whether a retrieve is under way (`state`)', tags: ['park'],
      querystring: { type: 'object', additionalProperties: false, required: ['tenant'], properties: { tenant: { type: 'string', format: 'hostname' } } },
    },
  }, async (req) => ({
    parks: (await deps().park.list(req.query.tenant)).map((e) => ({
      slot: e.slot, callId: e.callId, parker: e.parker, parked: e.parkedUser,
      since: new Date(e.parkedAt).toISOString(), timeoutAt: new Date(e.timeoutAt).toISOString(),
      state: e.retrieving ? 'retrieving' : 'parked',
    })),
  }));

  // A call of another tenant is not found for a tenant token, like in GET /v1/calls/{id}.
  api.post<{ Params: { id: string }; Body: { party: Side; slot?: string } }>('/calls/:id/park', {
    tenant: tenantFrom.resource,
    schema: {
      summary: 'Park a party of a live call; the other party is released', tags: ['park'], params: apiSchemas.callParams,
      body: {
        type: 'object', additionalProperties: false, required: ['party'],
        properties: { party: { type: 'string', enum: ['caller', 'callee'] }, slot: { type: 'string', pattern: slotPattern } },
      },
    },
  }, async (req) => {
    const call = deps().calls.get(req.params.id);
    if (call && !req.apiScope.allows(call.tenant)) throw parkErrors.E_CALL_NOT_FOUND();
    if (!call) {
      const remote = await deps().remote.ownerOfCall(req.params.id);
      if (!remote || !req.apiScope.allows(remote.tenant)) throw parkErrors.E_CALL_NOT_FOUND();
      let answer: RemoteParkResult;
      try {
        answer = await deps().remote.park(remote.owner, req.params.id, req.body.party, req.body.slot);
      } catch (err) {
        throw parkErrors.E_PARK_FAILED((err as Error).message);
      }
      return remoteParkAnswer(answer);
    }
    try {
      return { slot: await deps().park.park(call, req.body.party, req.body.slot) };
    } catch (err) {
      throw toParkApiError(err);
    }
  });

  api.post<{ Params: { slot: string }; Body: { tenant: string; to: string } }>('/parks/:slot/retrieve', {
    tenant: tenantFrom.body('tenant'),
    schema: {
      summary: 'Call `to` and hand it the call parked in the slot when it answers', tags: ['park'],
      params: { type: 'object', additionalProperties: false, required: ['slot'], properties: { slot: { type: 'string', pattern: slotPattern } } },
      body: {
        type: 'object', additionalProperties: false, required: ['tenant', 'to'],
        properties: { tenant: { type: 'string', format: 'hostname' }, to: apiSchemas.sipUserSchema },
      },
    },
  }, async (req) => {
    const d = deps();
    const lot = await d.lots.get(req.body.tenant);
    const owner = await d.remote.ownerOfSlot(req.body.tenant, req.params.slot);
    const ringMs = lot.comebackTimeout * 1000;
    const outcome = owner
      ? await d.remote.retrieveTo(owner, req.body.tenant, req.params.slot, req.body.to, ringMs)
      : await d.park.retrieveTo(req.body.tenant, req.params.slot, req.body.to, ringMs);
    if (outcome === 'empty') throw parkErrors.E_PARK_SLOT_EMPTY();
    if (outcome === 'busy') throw parkErrors.E_PARK_SLOT_BUSY();
    if (outcome === 'no-answer') throw parkErrors.E_PARK_NO_ANSWER();
    return { retrieved: true, slot: req.params.slot, to: req.body.to };
  });
}
