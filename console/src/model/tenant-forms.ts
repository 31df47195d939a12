import type { FieldSpec } from './form-model';
import type { TenantRoute } from './tenant-routes';

/** One settings form of the tenant page: the fields, the route it PUTs to, where it reads what is set. */
export interface SettingsForm {
  id: TenantRoute;
  title: string;
  fields: readonly FieldSpec[];
  /** GET and PUT path under /v1 for a tenant (and a user, for per-user settings) */
  path(tenant: string, user?: string): string;
}

const t = encodeURIComponent;

/** A user's password (PUT to add a user, PATCH to reset it): the server keeps only a digest. */
export const PASSWORD_FIELD: FieldSpec = { name: 'password', label: 'Password', kind: 'password', hint: 'the server keeps only a digest' };

/**
 * What the "Groups…" form changes of a user, by PATCH /tenants/{d}/users/{u}: everything
 * but the password, which PATCH then leaves as it is.
 */
export const GROUP_FIELDS: readonly FieldSpec[] = [
  { name: 'displayName', label: 'Display name', kind: 'text' },
  { name: 'pickupGroups', label: 'Pickup groups', kind: 'list', hint: 'groups whose ringing calls this user may pick up' },
  { name: 'callGroups', label: 'Call groups', kind: 'list', hint: 'groups this user is picked up in' },
  { name: 'dialogWatchers', label: 'Dialog watchers', kind: 'list', hint: "users who may watch this user's calls, * for all" },
  { name: 'anonymousCallRejection', label: 'Reject anonymous calls', kind: 'boolean' },
];

/** The fields of PUT /tenants/{d}/users/{u} that adding a user sends (the name is the path's). */
export const USER_FIELDS: readonly FieldSpec[] = [PASSWORD_FIELD, ...GROUP_FIELDS];

export const FORWARDING: SettingsForm = {
  id: 'forwarding',
  title: 'Forwarding',
  path: (d, u = '') => `/v1/tenants/${t(d)}/users/${t(u)}/forwarding`,
  fields: [
    { name: 'unconditional', label: 'Always to', kind: 'text' },
    { name: 'busy', label: 'When busy to', kind: 'text' },
    { name: 'noAnswer', label: 'On no answer to', kind: 'text' },
    { name: 'noAnswerSeconds', label: 'No answer after (s)', kind: 'integer' },
    { name: 'noAnswerOverlap', label: 'Keep ringing the phones too', kind: 'boolean' },
    { name: 'dnd', label: 'Do not disturb', kind: 'boolean' },
  ],
};

/** The tenant-wide settings, in the order the page shows them. */
export const TENANT_FORMS: readonly SettingsForm[] = [
  {
    id: 'moh',
    title: 'Music classes',
    path: (d) => `/v1/tenants/${t(d)}/moh`,
    fields: [
      { name: 'enabled', label: 'Music on hold', kind: 'boolean' },
      { name: 'classes', label: 'Classes', kind: 'sources', hint: 'one per line: name=sip:uri or name=file (empty: the built-in music)' },
      { name: 'defaultClass', label: 'Default class', kind: 'text' },
      { name: 'users', label: 'Users', kind: 'map', hint: 'one per line: user=class' },
    ],
  },
  {
    id: 'park',
    title: 'Park lot',
    path: (d) => `/v1/tenants/${t(d)}/park`,
    fields: [
      { name: 'extension', label: 'Park extension', kind: 'text' },
      { name: 'firstSlot', label: 'First slot', kind: 'integer' },
      { name: 'lastSlot', label: 'Last slot', kind: 'integer' },
      { name: 'timeout', label: 'Timeout (s)', kind: 'integer' },
      { name: 'comebackTimeout', label: 'Comeback ring (s)', kind: 'integer' },
      { name: 'mohClass', label: 'Music class', kind: 'text' },
      { name: 'fallback', label: 'Fallback user', kind: 'text' },
      { name: 'announce', label: 'Announce the slot', kind: 'boolean' },
    ],
  },
  {
    id: 'pickup',
    title: 'Pickup codes',
    path: (d) => `/v1/tenants/${t(d)}/pickup`,
    fields: [
      { name: 'groupCode', label: 'Group pickup code', kind: 'text' },
      { name: 'directedPrefix', label: 'Directed pickup prefix', kind: 'text' },
    ],
  },
  {
    id: 'conference',
    title: 'Conference policy',
    path: (d) => `/v1/tenants/${t(d)}/conference`,
    fields: [
      { name: 'mergeCode', label: 'Merge code', kind: 'text' },
      { name: 'hostLeaves', label: 'When the host leaves', kind: 'choice', choices: ['end', 'continue'] },
      { name: 'bridgeUri', label: 'External bridge URI', kind: 'text', hint: 'sip:{conference}@host; empty: the built-in bridge' },
    ],
  },
];

/** GET /tenants/{d}/users entry, as the page needs it. */
export interface UserView {
  user: string;
  displayName?: string;
  pickupGroups: string[];
  callGroups: string[];
  dialogWatchers: string[];
  anonymousCallRejection: boolean;
}

/**
 * The PATCH body of the "Groups…" form. The form leaves an emptied text field out of its
 * body, and PATCH keeps what is left out: a display name the operator cleared is sent as
 * '' so that it is cleared, not kept.
 */
export function groupsPatch(u: UserView, body: Record<string, unknown>): Record<string, unknown> {
  return body.displayName === undefined && u.displayName ? { ...body, displayName: '' } : body;
}
