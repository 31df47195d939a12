import generated from './generated/api-schemas.json';
import type { RouteSchemaTable } from './model/tenant-routes';

/**
 * The request schemas of the tenant routes, taken from the server's route definitions
 * by the build (scripts/console-schemas.ts); not in git, `npm run build` writes it.
 */
export const apiSchemas = generated as unknown as RouteSchemaTable;
