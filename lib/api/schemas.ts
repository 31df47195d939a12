/**
 * JSON schemas shared by routes: validation on the way in, serialization (which drops
 * anything undeclared, such as a credential) on the way out, and the OpenAPI document.
 */

/** A tenant is a DNS domain (RFC 1123 host name syntax). */
export const domainSchema = { type: 'string', format: 'hostname', minLength: 1, maxLength: 253 } as const;

/**
 * A SIP user part (RFC 3261 25.1): unreserved, escaped and user-unreserved characters;
 * no '@' or ':', which would end it.
 */
export const sipUserSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: "^(?:[A-Za-z0-9\\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$",
} as const;

/** Group names go into Redis keys and SIP headers: keep them plain. */
export const groupNameSchema = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } as const;

export const groupListSchema = { type: 'array', items: groupNameSchema, maxItems: 64, uniqueItems: true } as const;

/** A call id as the platform mints it or a SIP Call-ID (RFC 3261 25.1 `word`), minus '/'. */
export const callIdSchema = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9\\-.!%*_+`\'~()<>:"\\[\\]?{}@]+$' } as const;

export const errorSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', description: 'stable error code, e.g. E_NOT_FOUND' },
    message: { type: 'string' },
  },
} as const;

export const tenantParams = {
  type: 'object',
  required: ['domain'],
  additionalProperties: false,
  properties: { domain: domainSchema },
} as const;

export const userParams = {
  type: 'object',
  required: ['domain', 'user'],
  additionalProperties: false,
  properties: { domain: domainSchema, user: sipUserSchema },
} as const;

export const callParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: callIdSchema },
} as const;

export const dateTime = { type: 'string', format: 'date-time' } as const;

/** ms since the epoch, as the store keeps times, to what a client reads. */
export function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
