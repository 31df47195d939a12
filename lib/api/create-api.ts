import Fastify, { type FastifyInstance } from 'fastify';
import { bearerAuth } from './auth';
import { clientErrorHandler } from './client-error';
import { consoleFiles } from './console-files';
import type { ApiDeps } from './deps';
import { frameworkError, installErrorHandling, validationMessage } from './error-handler';
import { registerHealthRoute } from './health-route';
import { createHttpMount, type HttpMount } from './http-mount';
import { registerMetricsRoute } from './metrics-route';
import { registerOpenApi } from './openapi';
import { createRouter, type ApiRouter } from './router';
import { callRoutes, registrationRoutes, statsRoutes, tokenRoutes, userRoutes } from './routes';
import { enforceTenantScope, type ApiScope } from './scope';

export interface Api {
  /** not listening: the caller adds feature routes through `router`, then listens */
  app: FastifyInstance;
  /** handed to each feature's `routes(api)` */
  router: ApiRouter;
  /** handed to each feature's `http(mount)`: its own protocol under its own prefix, outside /v1 */
  http: HttpMount;
}

/**
 * The REST server: GET /health, GET /metrics, GET /docs/json (OpenAPI) and the token-protected /v1
 * routes of the platform (operator token, or a tenant token on its own tenant's routes). Features add theirs through `router` before `app.listen()`.
 */
export async function createApi(deps: ApiDeps): Promise<Api> {
  const log = deps.logger.child({ component: 'api' });
  const app = Fastify({
    // Requests are logged below through winston, like everything else.
    logger: false,
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
    ajv: {
      customOptions: {
        // Reject what the schema does not allow instead of quietly repairing it: an
        // unknown property is a client bug (a typo in "pasword") the client should hear
        // about, and "yes" is not a boolean.
        removeAdditional: false,
        coerceTypes: false,
      },
    },
    // Long enough for every path parameter the schemas allow (domain 253, call id 256),
    // so those get a schema's 400; anything longer is refused by the router as 414.
    routerOptions: { maxParamLength: 300 },
    frameworkErrors: frameworkError,
    // what Node's HTTP parser refuses (431, 408, 400) answers {code, message} too
    clientErrorHandler,
    schemaErrorFormatter: (errs, dataVar) => new Error(validationMessage(errs, dataVar)),
  });

  installErrorHandling(app, log);
  // Every request has the property (null outside /v1), so its shape never changes (fastify's advice).
  // (typed as set: the bearer hook sets it before any /v1 handler or check reads it).
  app.decorateRequest('apiScope', null as unknown as ApiScope);
  app.addHook('onRequest', bearerAuth(deps.token, deps.tenantTokens));
  app.addHook('preHandler', enforceTenantScope);
  app.addHook('onResponse', async (req, reply) => {
    const level = req.url === '/health' || req.url === '/metrics' ? 'debug' : 'info';
    log.log(level, 'api request', {
      reqId: req.id, method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime),
    });
  });

  await registerOpenApi(app);
  registerHealthRoute(app, deps.health, deps.healthTimeoutMs);
  if (deps.metrics) registerMetricsRoute(app, deps.metrics);
  const router = createRouter(app);
  userRoutes(router, deps.users, deps.registrations, deps.userDeleted);
  registrationRoutes(router, deps.registrations);
  callRoutes(router, deps.calls);
  tokenRoutes(router, deps.tenantTokens);
  if (deps.stats) statsRoutes(router, deps.stats);
  const http = createHttpMount(app);
  if (deps.consoleDir) http.mount('/console', consoleFiles('/console', deps.consoleDir), { bodyLimit: 1024 });
  return { app, router, http };
}
