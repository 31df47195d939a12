import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, RawServerDefault, RouteGenericInterface, RouteHandlerMethod,
} from 'fastify';
import { PROTECTED_PREFIX } from './auth';
import type { TenantSource } from './scope';
import { errorSchema } from './schemas';

export type RouteHandler<R extends RouteGenericInterface = RouteGenericInterface> =
  (req: FastifyRequest<R>, reply: FastifyReply) => Promise<unknown>;

export interface RouteOptions {
  /**
   * Validation (params, querystring, body), response serialization and OpenAPI text
   * (summary, description, tags). Give `additionalProperties: false` to objects a
   * client sends; undeclared response properties are dropped on the way out.
   */
  schema?: FastifySchema;
  /**
   * How the route finds the tenant it acts on (see TenantSource; `tenantFrom` has the
   * usual ones). Tenant tokens reach a route only through this; leave it out and the
   * route is for the operator token alone.
   */
  tenant?: TenantSource;
  /**
   * Where the route finds the live call(s) it acts on, so that a call owned by another
   * instance is acted on by its owner (the request is forwarded there over the instance
   * bus, see lib/bus/rest-owner.ts). Routes under `/calls/:id/` name their call by the
   * `id` parameter without saying so; `false` keeps a route local.
   */
  callIds?: CallIdSource | false;
  /**
   * How long the request waits for the owner of its call when it is forwarded there
   * (lib/bus/rest-owner.ts); default FORWARD_TIMEOUT_MS. A route that waits on a phone
   * (a transfer rings its target) gives its own longest wait here.
   */
  forwardTimeoutMs?: number;
}

/** A path parameter or a body field holding a call id (or an array of call ids). */
export interface CallIdSource {
  readonly from: 'param' | 'body';
  readonly name: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** see RouteOptions.callIds; undefined: the route acts on no call of another instance */
    callIds?: CallIdSource;
    /** see RouteOptions.forwardTimeoutMs */
    forwardTimeoutMs?: number;
  }
}

/** The call-id source of a route: declared, or by convention for `/calls/:id/...`. */
function callIdsOf(path: string, opts: RouteOptions): CallIdSource | undefined {
  if (opts.callIds === false) return undefined;
  if (opts.callIds) return opts.callIds;
  return path.startsWith('/calls/:id/') ? { from: 'param', name: 'id' } : undefined;
}

/**
 * How a feature adds REST endpoints (Feature.routes in DESIGN.md). Paths are relative to
 * /v1 and use fastify's `:param` syntax; every route gets the bearer-token check, the
 * `{code, message}` errors of lib/api/errors.ts and a place in the OpenAPI document.
 * A handler never reads the token: `req.apiScope` says whose request it is, and a route
 * with `tenant: tenantFrom.resource` asks it (`allows`, `filter`) about what it found.
 * Throw an ApiError (from defineErrors) for a failure the client should see.
 */
export interface ApiRouter {
  get<R extends RouteGenericInterface = RouteGenericInterface>(path: string, opts: RouteOptions, handler: RouteHandler<R>): void;
  post<R extends RouteGenericInterface = RouteGenericInterface>(path: string, opts: RouteOptions, handler: RouteHandler<R>): void;
  put<R extends RouteGenericInterface = RouteGenericInterface>(path: string, opts: RouteOptions, handler: RouteHandler<R>): void;
  patch<R extends RouteGenericInterface = RouteGenericInterface>(path: string, opts: RouteOptions, handler: RouteHandler<R>): void;
  delete<R extends RouteGenericInterface = RouteGenericInterface>(path: string, opts: RouteOptions, handler: RouteHandler<R>): void;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export function createRouter(app: FastifyInstance): ApiRouter {
  const add = (method: Method) => <R extends RouteGenericInterface>(path: string, opts: RouteOptions, handler: RouteHandler<R>): void => {
    if (!path.startsWith('/')) throw new TypeError(`route path must start with '/': ${path}`);
    const schema: FastifySchema = {
      security: [{ bearer: [] }],
      ...opts.schema,
      description: [opts.schema?.description, scopeText(opts.tenant)].filter(Boolean).join('\n\n'),
      // Documented for every route, and the serializer for the errors the handler sends.
      response: { '4xx': errorSchema, '5xx': errorSchema, ...(opts.schema?.response as object | undefined) },
    };
    // The handler's reply type is checked by the response schema at run time, not by
    // fastify's type provider, so it is typed `unknown` here.
    app.route<R>({ method, url: `${PROTECTED_PREFIX}${path}`, schema, config: { tenant: opts.tenant, callIds: callIdsOf(path, opts), forwardTimeoutMs: opts.forwardTimeoutMs }, handler: handler as unknown as RouteHandlerMethod<RawServerDefault, IncomingMessage, ServerResponse, R> });
  };
  return { get: add('GET'), post: add('POST'), put: add('PUT'), patch: add('PATCH'), delete: add('DELETE') };
}

/** The route's token scope, as the OpenAPI document tells it. */
function scopeText(source: TenantSource | undefined): string {
  if (!source) return 'Token: the operator token only.';
  if (source.from === 'resource') return "Token: the operator token, or a tenant token for that tenant's resources (others are not found).";
  return `Token: the operator token, or a tenant token of the tenant named by ${source.from} \`${source.name}\`.`;
}
