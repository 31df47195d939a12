/**
 * Build step: the request schemas of the routes the console's tenant pages write through
 * (console/src/model/tenant-routes.ts), taken from the server's own route definitions
 * (one source: the schemas fastify validates with), written as JSON for the console
 * bundle. Fails when a route is missing or a schema uses a keyword the console's
 * interpreter does not check.
 *
 *   node dist/scripts/console-schemas.js <out.json>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { features } from '../features';
import type { ApiRouter, RegistrationsPort, RouteOptions, UsersPort } from '../lib/api';
import { userRoutes } from '../lib/api/routes';
import { unsupportedKeywords, type JsonSchema } from '../console/src/model/json-schema';
import { TENANT_ROUTES, type RouteSchemas, type RouteSchemaTable, type TenantRoute } from '../console/src/model/tenant-routes';

/** Every /v1 route the server registers (platform and features), as `METHOD /path` to its schema. */
export function collectRouteSchemas(): Map<string, RouteOptions['schema']> {
  const routes = new Map<string, RouteOptions['schema']>();
  const record = (method: string) => (p: string, opts: RouteOptions): void => {
    routes.set(`${method} ${p}`, opts.schema);
  };
  const router: ApiRouter = { get: record('GET'), post: record('POST'), put: record('PUT'), patch: record('PATCH'), delete: record('DELETE') };
  // registering a route stores its handler and nothing else: the ports are never called here
  userRoutes(router, {} as UsersPort, {} as RegistrationsPort);
  for (const f of features()) f.routes?.(router);
  return routes;
}

/** The console's table: params and body schema of each tenant route. */
export function consoleSchemas(all = collectRouteSchemas()): RouteSchemaTable {
  const out: Partial<Record<TenantRoute, RouteSchemas>> = {};
  for (const [name, key] of Object.entries(TENANT_ROUTES) as Array<[TenantRoute, string]>) {
    if (!all.has(key)) throw new Error(`console route ${key} is not a route of the server`);
    const schema = all.get(key) ?? {};
    const entry: RouteSchemas = {};
    for (const part of ['params', 'body'] as const) {
      const s = schema[part] as JsonSchema | undefined;
      if (s === undefined) continue;
      const unknown = unsupportedKeywords(s);
      if (unknown.length > 0) throw new Error(`${key} ${part}: the console cannot check ${unknown.join(', ')}`);
      entry[part] = s;
    }
    out[name] = entry;
  }
  return out as RouteSchemaTable;
}

if (require.main === module) {
  const target = process.argv[2];
  if (!target) {
    process.stderr.write('usage: console-schemas <out.json>\n');
    process.exit(2);
  }
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(consoleSchemas(), null, 1)}\n`);
}
