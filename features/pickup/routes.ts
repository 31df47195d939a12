import type { ApiRouter } from '../../lib/api';
import { apiSchemas, defineErrors, tenantFrom } from '../../lib/api';
import { PickupError, type PickupService } from './pickup-service';
import type { PickupSettings, PickupSettingsStore } from './settings';

/** One catalogue for SIP and REST: a picker on a phone and a console see the same conditions. */
export const pickupErrors = defineErrors({
  E_PICKUP_NOTHING_RINGING: { status: 404, sipStatus: 404, message: 'nothing is ringing there' },
  E_PICKUP_FORBIDDEN: { status: 403, sipStatus: 403, message: 'not allowed to pick up that call' },
  E_PICKUP_LOST: { status: 409, sipStatus: 481, message: 'the call was picked up or answered by someone else' },
  E_PICKUP_NO_CODEC: { status: 409, sipStatus: 488, message: 'no codec in common with the caller' },
  E_PICKUP_ELSEWHERE: { status: 409, sipStatus: 480, message: 'the call rings through another instance' },
  E_PICKUP_CANCELLED: { status: 409, sipStatus: 487, message: 'the picker cancelled the pickup' },
});

export function toPickupError(err: unknown): Error {
  if (!(err instanceof PickupError)) return err as Error;
  switch (err.code) {
    case 'nothing': return pickupErrors.E_PICKUP_NOTHING_RINGING(err.message);
    case 'forbidden': return pickupErrors.E_PICKUP_FORBIDDEN(err.message);
    case 'lost': return pickupErrors.E_PICKUP_LOST(err.message);
    case 'codec': return pickupErrors.E_PICKUP_NO_CODEC(err.message);
    case 'elsewhere': return pickupErrors.E_PICKUP_ELSEWHERE(err.message);
    case 'cancelled': return pickupErrors.E_PICKUP_CANCELLED(err.message);
  }
}

export interface PickupRoutesDeps {
  pickup: PickupService;
  settings: PickupSettingsStore;
}

const codePattern = '^[*#0-9]{1,8}$';

/** REST for pickup: pick up for a user, the ringing calls of a tenant, the tenant's codes. */
export function pickupRoutes(api: ApiRouter, deps: () => PickupRoutesDeps): void {
  api.post<{ Body: { tenant: string; by: string; target?: string } }>('/pickup', {
    tenant: tenantFrom.body('tenant'),
    schema: {
      summary: 'Pick up a ringing call for a user: its phones ring and take the call (no target: group pickup)', tags: ['pickup'],
      body: {
        type: 'object', additionalProperties: false, required: ['tenant', 'by'],
        properties: { tenant: apiSchemas.domainSchema, by: apiSchemas.sipUserSchema, target: apiSchemas.sipUserSchema },
      },
    },
  }, async (req) => {
    const { tenant, by, target } = req.body;
    try {
      const picked = await deps().pickup.pickForUser(tenant, by, target ? { kind: 'directed', target } : { kind: 'group' });
      return { callId: picked.callId, by, caller: picked.caller };
    } catch (err) {
      throw toPickupError(err);
    }
  });

  api.get<{ Params: { domain: string } }>('/tenants/:domain/ringing', {
    tenant: tenantFrom.domainParam,
    schema: { summary: 'Calls ringing in a tenant, per call group', tags: ['pickup'], params: apiSchemas.tenantParams },
  }, async (req) => {
    const calls = await deps().pickup.list(req.params.domain);
    const groups: Record<string, Array<{ callId: string; callee: string; caller: string; since: number }>> = {};
    for (const c of calls) {
      for (const g of c.groups) (groups[g] ??= []).push({ callId: c.callId, callee: c.callee, caller: c.caller, since: c.since });
    }
    return { tenant: req.params.domain, groups };
  });

  api.get<{ Params: { domain: string } }>('/tenants/:domain/pickup', {
    tenant: tenantFrom.domainParam,
    schema: { summary: 'The pickup codes of a tenant', tags: ['pickup'], params: apiSchemas.tenantParams },
  }, async (req) => deps().settings.get(req.params.domain));

  api.put<{ Params: { domain: string }; Body: PickupSettings }>('/tenants/:domain/pickup', {
    tenant: tenantFrom.domainParam,
    schema: {
      summary: 'Set the pickup codes of a tenant', tags: ['pickup'], params: apiSchemas.tenantParams,
      body: {
        type: 'object', additionalProperties: false, required: ['groupCode', 'directedPrefix'],
        properties: { groupCode: { type: 'string', pattern: codePattern }, directedPrefix: { type: 'string', pattern: codePattern } },
      },
    },
  }, async (req) => {
    await deps().settings.put(req.params.domain, req.body);
    return req.body;
  });
}
