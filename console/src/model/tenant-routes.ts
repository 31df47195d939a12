import type { JsonSchema } from './json-schema';

/**
 * The REST routes the tenant pages write through (paths relative to /v1, as features
 * declare them). The build (scripts/console-schemas.ts) takes the request schemas of
 * exactly these routes from the server's own route definitions into
 * console/src/generated/api-schemas.json; a route missing there fails the build.
 */
export const TENANT_ROUTES = {
  user: 'PUT /tenants/:domain/users/:user',
  /** a user's groups, or its password, each without the other */
  userPatch: 'PATCH /tenants/:domain/users/:user',
  forwarding: 'PUT /tenants/:domain/users/:user/forwarding',
  moh: 'PUT /tenants/:domain/moh',
  park: 'PUT /tenants/:domain/park',
  pickup: 'PUT /tenants/:domain/pickup',
  conference: 'PUT /tenants/:domain/conference',
} as const;

export type TenantRoute = keyof typeof TENANT_ROUTES;

/** What a route validates on the way in: its path parameters and its body. */
export interface RouteSchemas {
  params?: JsonSchema;
  body?: JsonSchema;
}

export type RouteSchemaTable = Readonly<Record<TenantRoute, RouteSchemas>>;
