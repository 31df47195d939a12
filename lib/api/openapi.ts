import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/**
 * Collects every route's schema into an OpenAPI 3 document served at GET /docs/json.
 * Must be registered (and awaited) before any route, because it learns routes as they
 * are added.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Feature server API',
        version: '1',
        description: 'Provisioning and live state of the B2BUA feature server. Errors are `{code, message}`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
}
