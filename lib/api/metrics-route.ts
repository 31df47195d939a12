import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * GET /metrics in the Prometheus text exposition format, without a token like /health:
 * the HTTP port belongs on a management network (README "Deploying").
 */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics', tags: ['health'], security: [], response: { 200: { type: 'string' } } },
  }, async (_req, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}
