import type { FastifyInstance } from 'fastify';
import type { HealthCheckResult } from './deps';

const checkSchema = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, detail: { type: 'string' } },
  required: ['ok'],
} as const;

const bodySchema = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ok', 'fail'] },
    checks: { type: 'object', additionalProperties: checkSchema },
  },
} as const;

/**
 * GET /health, without a token so a load balancer or Kubernetes probe can call it: 200
 * when every check is ok, 503 otherwise. A check that throws or hangs counts as failed
 * rather than failing or hanging the probe.
 */
export function registerHealthRoute(
  app: FastifyInstance,
  health: () => Promise<Record<string, HealthCheckResult>>,
  timeoutMs = 2000,
): void {
  app.get('/health', {
    schema: { summary: 'Liveness and dependencies', tags: ['health'], security: [], response: { 200: bodySchema, 503: bodySchema } },
  }, async (_req, reply) => {
    let checks: Record<string, HealthCheckResult>;
    let timer: NodeJS.Timeout | undefined;
    try {
      checks = await Promise.race([
        health(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`health checks did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      checks = { health: { ok: false, detail: (err as Error).message } };
    } finally {
      clearTimeout(timer);
    }
    const ok = Object.values(checks).every((c) => c.ok);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'fail', checks });
  });
}
