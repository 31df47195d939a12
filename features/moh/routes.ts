import type { ApiRouter } from '../../lib/api';
import { apiSchemas, defineErrors, errors, tenantFrom } from '../../lib/api';
import type { CallManager, Side } from '../../lib/calls';
import type { HoldController } from './hold-controller';
import type { MohSettings, MohSettingsStore } from '../../lib/media';

export const mohErrors = defineErrors({
  E_CALL_NOT_FOUND: { status: 404, sipStatus: 481, message: 'no such call on this instance' },
  E_CALL_NOT_ANSWERED: { status: 409, message: 'the call is not answered' },
  E_ALREADY_ON_HOLD: { status: 409, message: 'a party of this call is already on hold' },
  E_NOT_ON_HOLD: { status: 409, message: 'no party of this call is on hold by the server' },
  E_MOH_OFF: { status: 409, message: 'music on hold is off for this tenant' },
  E_MOH_FAILED: { status: 502, sipStatus: 500, message: 'the music server could not be reached' },
});

const mohClass = {
  type: 'object', additionalProperties: false,
  properties: { uri: { type: 'string', pattern: '^sips?:[^\\s<>]+$', maxLength: 512 }, file: { type: 'string', minLength: 1, maxLength: 1024 } },
} as const;

const settingsSchema = {
  type: 'object', additionalProperties: false, required: ['enabled'],
  properties: {
    enabled: { type: 'boolean' },
    defaultClass: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    classes: { type: 'object', maxProperties: 64, propertyNames: { pattern: '^[A-Za-z0-9_.-]{1,64}$' }, additionalProperties: mohClass },
    users: { type: 'object', maxProperties: 10000, additionalProperties: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } },
  },
} as const;

export interface MohRoutesDeps {
  settings: MohSettingsStore;
  calls: CallManager;
  holds: HoldController;
}

/** REST for music on hold: tenant settings, and hold/resume of a live call's party. */
export function mohRoutes(api: ApiRouter, deps: MohRoutesDeps): void {
  api.get<{ Params: { domain: string } }>('/tenants/:domain/moh', {
    tenant: tenantFrom.domainParam,
    schema: { summary: 'Music-on-hold settings of a tenant', tags: ['moh'], params: apiSchemas.tenantParams },
  }, async (req) => deps.settings.get(req.params.domain));

  api.put<{ Params: { domain: string }; Body: Partial<MohSettings> & { enabled: boolean } }>('/tenants/:domain/moh', {
    tenant: tenantFrom.domainParam,
    schema: { summary: 'Set the music-on-hold classes of a tenant', tags: ['moh'], params: apiSchemas.tenantParams, body: settingsSchema },
  }, async (req) => {
    const b = req.body;
    const classes = b.classes ?? { default: {} };
    const defaultClass = b.defaultClass ?? Object.keys(classes)[0] ?? 'default';
    if (!classes[defaultClass]) throw errors.E_BAD_REQUEST(`defaultClass ${defaultClass} is not one of the classes`);
    for (const [user, cls] of Object.entries(b.users ?? {})) {
      if (!classes[cls]) throw errors.E_BAD_REQUEST(`user ${user}: class ${cls} is not one of the classes`);
    }
    const settings: MohSettings = { enabled: b.enabled, defaultClass, classes, users: b.users ?? {} };
    await deps.settings.put(req.params.domain, settings);
    return settings;
  });

  // A call of another tenant is not found for a tenant token, like in GET /v1/calls/{id}.
  api.post<{ Params: { id: string }; Body: { party: Side } }>('/calls/:id/hold', {
    tenant: tenantFrom.resource,
    schema: {
      summary: 'Put a party of a call on hold: it hears music, the other hears nothing', tags: ['moh'], params: apiSchemas.callParams,
      body: { type: 'object', additionalProperties: false, required: ['party'], properties: { party: { type: 'string', enum: ['caller', 'callee'] } } },
    },
  }, async (req, reply) => {
    const call = deps.calls.get(req.params.id);
    if (!call || !req.apiScope.allows(call.tenant)) throw mohErrors.E_CALL_NOT_FOUND();
    if (call.state !== 'answered') throw mohErrors.E_CALL_NOT_ANSWERED();
    if (deps.holds.onMusic(call.id)) throw mohErrors.E_ALREADY_ON_HOLD();
    try {
      await deps.holds.hold(call, req.body.party);
    } catch (err) {
      if ((err as Error).message === 'music on hold is off') throw mohErrors.E_MOH_OFF();
      // the call ended while its party was being put on music (nothing is left of it)
      if (!deps.calls.get(call.id)) throw mohErrors.E_CALL_NOT_FOUND();
      throw mohErrors.E_MOH_FAILED(`the music server could not be reached: ${(err as Error).message}`);
    }
    reply.code(204);
  });

  api.post<{ Params: { id: string } }>('/calls/:id/resume', {
    tenant: tenantFrom.resource,
    schema: { summary: 'End the hold the server started and reconnect the parties', tags: ['moh'], params: apiSchemas.callParams },
  }, async (req, reply) => {
    const call = deps.calls.get(req.params.id);
    if (!call || !req.apiScope.allows(call.tenant)) throw mohErrors.E_CALL_NOT_FOUND();
    if (!(await deps.holds.resume(call))) throw mohErrors.E_NOT_ON_HOLD();
    reply.code(204);
  });
}
