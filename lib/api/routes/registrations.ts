import type { Binding } from '../../store';
import type { RegistrationsPort } from '../deps';
import type { ApiRouter } from '../router';
import { tenantFrom } from '../scope';
import { dateTime, iso, tenantParams } from '../schemas';

const bindingSchema = {
  type: 'object',
  required: ['contact', 'expires', 'expiresAt'],
  properties: {
    contact: { type: 'string' },
    expires: { type: 'integer', description: 'seconds left' },
    expiresAt: dateTime,
    received: { type: 'string', description: "where the REGISTER came from, e.g. 'udp:192.0.2.1:5060'" },
    instance: { type: 'string' },
    userAgent: { type: 'string' },
  },
} as const;

const listSchema = {
  type: 'object',
  required: ['registrations'],
  properties: {
    registrations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['user', 'bindings'],
        properties: { user: { type: 'string' }, bindings: { type: 'array', items: bindingSchema } },
      },
    },
  },
} as const;

function view(b: Binding): Record<string, unknown> {
  return { ...b, expiresAt: iso(b.expiresAt) };
}

/** The location service, read-only: /v1/tenants/:domain/registrations. */
export function registrationRoutes(router: ApiRouter, registrations: RegistrationsPort): void {
  router.get<{ Params: { domain: string } }>('/tenants/:domain/registrations', {
    tenant: tenantFrom.domainParam,
    schema: { summary: "A tenant's registered contacts", tags: ['registrations'], params: tenantParams, response: { 200: listSchema } },
  }, async (req) => ({
    registrations: (await registrations.list(req.params.domain)).map((e) => ({ user: e.user, bindings: e.bindings.map(view) })),
  }));
}
