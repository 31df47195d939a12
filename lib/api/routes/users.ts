import type { UserRecord } from '../../store';
import type { RegistrationsPort, UsersPort } from '../deps';
import { errors } from '../errors';
import type { ApiRouter } from '../router';
import { tenantFrom } from '../scope';
import { dateTime, groupListSchema, iso, sipUserSchema, tenantParams, userParams } from '../schemas';

interface UserParams { domain: string; user: string }
type UserPatch = Partial<UserBody>;
interface UserBody {
  password: string;
  displayName?: string;
  pickupGroups?: string[];
  callGroups?: string[];
  anonymousCallRejection?: boolean;
  dialogWatchers?: string[];
}

const userProperties = {
  password: { type: 'string', minLength: 4, maxLength: 128, description: 'stored only as digest HA1; never returned' },
  // No control characters: the name ends up in From/P-Asserted-Identity headers.
  displayName: { type: 'string', maxLength: 128, pattern: '^[^\\u0000-\\u001f\\u007f]*$' },
  pickupGroups: { ...groupListSchema, description: 'call groups whose ringing calls this user may pick up' },
  callGroups: { ...groupListSchema, description: 'groups this user belongs to for being picked up' },
  anonymousCallRejection: { type: 'boolean' },
  dialogWatchers: {
    type: 'array', items: sipUserSchema, maxItems: 64, uniqueItems: true,
    description: "users of the tenant who may SUBSCRIBE to this user's dialog state (Event: dialog), '*' for all; "
    + 'the user itself and the pickup groups that can pick up its calls always may',
  },
} as const;

const bodySchema = { type: 'object', required: ['password'], additionalProperties: false, properties: userProperties } as const;

/** PATCH: the properties of PUT, none required but at least one; those given replace the stored ones. */
const patchSchema = { type: 'object', minProperties: 1, additionalProperties: false, properties: userProperties } as const;

/** The user as a client sees it: no password, no HA1 (the serializer drops anything else). */
export const userSchema = {
  type: 'object',
  required: ['tenant', 'user', 'pickupGroups', 'callGroups', 'anonymousCallRejection', 'dialogWatchers', 'createdAt', 'updatedAt'],
  properties: {
    tenant: { type: 'string' },
    user: { type: 'string' },
    displayName: { type: 'string' },
    pickupGroups: { type: 'array', items: { type: 'string' } },
    callGroups: { type: 'array', items: { type: 'string' } },
    anonymousCallRejection: { type: 'boolean' },
    dialogWatchers: { type: 'array', items: { type: 'string' } },
    createdAt: dateTime,
    updatedAt: dateTime,
  },
} as const;

function view(u: UserRecord): Record<string, unknown> {
  return { ...u, createdAt: iso(u.createdAt), updatedAt: iso(u.updatedAt) };
}

/** Provisioning: /v1/tenants/:domain/users[/:user]. */
export function userRoutes(router: ApiRouter, users: UsersPort, registrations: RegistrationsPort,
  userDeleted?: (tenant: string, user: string) => Promise<void>): void {
  router.put<{ Params: UserParams; Body: UserBody }>('/tenants/:domain/users/:user', {
    tenant: tenantFrom.domainParam,
    schema: {
      summary: 'Create or replace a user', tags: ['users'], params: userParams, body: bodySchema,
      response: { 200: userSchema, 201: userSchema },
    },
  }, async (req, reply) => {
    const { domain, user } = req.params;
    const { created, user: record } = await users.put(domain, user, req.body);
    if (created) reply.header('location', `/v1/tenants/${record.tenant}/users/${encodeURIComponent(user)}`);
    return reply.code(created ? 201 : 200).send(view(record));
  });

  router.patch<{ Params: UserParams; Body: UserPatch }>('/tenants/:domain/users/:user', {
    tenant: tenantFrom.domainParam,
    schema: {
      summary: 'Change some of a user\'s fields (the others stay; a password given sets a new one)', tags: ['users'],
      params: userParams, body: patchSchema, response: { 200: userSchema },
    },
  }, async (req) => {
    const { domain, user } = req.params;
    const record = await users.update(domain, user, req.body);
    if (!record) throw errors.E_NOT_FOUND(`no user ${user} in ${domain}`);
    return view(record);
  });

  router.get<{ Params: UserParams }>('/tenants/:domain/users/:user', {
    tenant: tenantFrom.domainParam,
    schema: { summary: 'Get a user', tags: ['users'], params: userParams, response: { 200: userSchema } },
  }, async (req) => {
    const record = await users.get(req.params.domain, req.params.user);
    if (!record) throw errors.E_NOT_FOUND(`no user ${req.params.user} in ${req.params.domain}`);
    return view(record);
  });

  router.delete<{ Params: UserParams }>('/tenants/:domain/users/:user', {
    tenant: tenantFrom.domainParam,
    schema: { summary: 'Delete a user and its registrations', tags: ['users'], params: userParams, response: { 204: { type: 'null' } } },
  }, async (req, reply) => {
    const { domain, user } = req.params;
    if (!(await users.delete(domain, user))) throw errors.E_NOT_FOUND(`no user ${user} in ${domain}`);
    // A deleted user must not stay reachable through a phone that is still registered.
    await registrations.unbindAll(domain, user);
    await userDeleted?.(domain, user);
    return reply.code(204).send();
  });

  router.get<{ Params: { domain: string } }>('/tenants/:domain/users', {
    tenant: tenantFrom.domainParam,
    schema: {
      summary: "List a tenant's users", tags: ['users'], params: tenantParams,
      response: { 200: { type: 'object', required: ['users'], properties: { users: { type: 'array', items: userSchema } } } },
    },
  }, async (req) => ({ users: (await users.list(req.params.domain)).map(view) }));
}
