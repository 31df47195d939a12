import type { FastifyRequest } from 'fastify';
import { errors } from './errors';

/**
 * What a bearer token may reach. The operator token (API_TOKEN) reaches every route and
 * every tenant; a tenant token (POST /v1/tenants/{domain}/tokens) reaches only the routes
 * that declare how their tenant is found, and there only its own tenant.
 */
export class ApiScope {
  private static readonly OPERATOR = new ApiScope(undefined, undefined);

  private constructor(
    /** lower-cased tenant domain; undefined for the operator */
    readonly tenant: string | undefined,
    /** the id of the tenant token (for logs); undefined for the operator */
    readonly tokenId: string | undefined,
  ) {}

  static operator(): ApiScope {
    return ApiScope.OPERATOR;
  }

  static forTenant(tenant: string, tokenId: string): ApiScope {
    if (!tenant) throw new TypeError('a tenant scope needs a tenant');
    return new ApiScope(tenant.toLowerCase(), tokenId);
  }

  get isOperator(): boolean {
    return this.tenant === undefined;
  }

  /** Whether this token may act on the tenant (domains compare case-insensitively, RFC 4343). */
  allows(tenant: string | undefined): boolean {
    if (this.tenant === undefined) return true;
    return typeof tenant === 'string' && tenant.toLowerCase() === this.tenant;
  }

  /** Throws 403 E_FORBIDDEN_TENANT unless this token may act on the tenant the client named. */
  require(tenant: string | undefined): void {
    if (!this.allows(tenant)) throw errors.E_FORBIDDEN_TENANT(`this token is for tenant ${this.tenant ?? ''} only`);
  }

  /** The items of a list this token may see. */
  filter<T>(items: readonly T[], tenantOf: (item: T) => string | undefined): T[] {
    return this.tenant === undefined ? [...items] : items.filter((i) => this.allows(tenantOf(i)));
  }
}

/**
 * How a route finds the tenant it acts on, declared once per route (RouteOptions.tenant):
 * - `{ from: 'param' | 'query' | 'body', name }`: the tenant is named in the request; a
 *   tenant token naming another tenant gets 403 E_FORBIDDEN_TENANT before the handler
 *   runs. With `optional`, a request that names none passes, and the handler must narrow
 *   what it returns with `req.apiScope.filter` (a list).
 * - `{ from: 'resource' }`: the handler looks the resource up (a call, a conference) and
 *   treats one of another tenant as missing (`req.apiScope.allows`), and filters lists.
 * A route that declares nothing is for the operator token only: forgetting the
 * declaration locks tenants out instead of letting them in.
 */
export type TenantSource =
  | { readonly from: 'param' | 'query' | 'body'; readonly name: string; readonly optional?: boolean }
  | { readonly from: 'resource' };

/** Shorthands for the usual declarations. */
export const tenantFrom = {
  /** `/tenants/:domain/...` */
  domainParam: { from: 'param', name: 'domain' },
  /** `?tenant=` that must be given */
  query: (name = 'tenant'): TenantSource => ({ from: 'query', name }),
  /** `?tenant=` that may be left out by a list route filtering with req.apiScope */
  optionalQuery: (name = 'tenant'): TenantSource => ({ from: 'query', name, optional: true }),
  /** `{"tenant": ...}` in the JSON body */
  body: (name = 'tenant'): TenantSource => ({ from: 'body', name }),
  /** the handler checks the tenant of what it looked up */
  resource: { from: 'resource' },
} as const satisfies Record<string, TenantSource | ((name?: string) => TenantSource)>;

declare module 'fastify' {
  interface FastifyRequest {
    /** set by the bearer hook on every /v1 request before any handler runs */
    apiScope: ApiScope;
  }
  interface FastifyContextConfig {
    /** see TenantSource; undefined: operator only */
    tenant?: TenantSource;
  }
}

/**
 * A preHandler hook (after validation, so the named value has its schema's shape):
 * a tenant token reaches an undeclared route not at all, and a route naming a tenant
 * only with that tenant's name. Runs for the operator too, doing nothing.
 */
export async function enforceTenantScope(req: FastifyRequest): Promise<void> {
  const scope = req.apiScope as ApiScope | null;
  // Routes outside /v1 (health, metrics, docs) never got a scope: nothing to enforce.
  if (!scope || scope.isOperator || req.is404) return;
  const source = req.routeOptions.config.tenant;
  if (!source) throw errors.E_OPERATOR_ONLY();
  if (source.from === 'resource') return;
  const bag = source.from === 'param' ? req.params : source.from === 'query' ? req.query : req.body;
  const value = bag !== null && typeof bag === 'object' ? (bag as Record<string, unknown>)[source.name] : undefined;
  if (value === undefined && source.optional) return;
  scope.require(typeof value === 'string' ? value : undefined);
}
