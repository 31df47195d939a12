import type { StatsPort } from '../deps';
import type { ApiRouter } from '../router';
import { dateTime } from '../schemas';

const count = { type: 'integer', minimum: 0 } as const;
const gauge = { type: 'integer', minimum: 0, nullable: true } as const;

const sampleSchema = {
  type: 'object',
  required: ['start', 'offered', 'answered', 'answerRate', 'parked', 'conferences'],
  properties: {
    start: { ...dateTime, description: 'start of the minute' },
    offered: { ...count, description: 'calls offered in the minute' },
    answered: { ...count, description: 'calls answered in the minute (some may have been offered the minute before)' },
    answerRate: { type: 'number', minimum: 0, maximum: 1, nullable: true, description: 'answered / offered, at most 1; null with no call offered' },
    parked: { ...gauge, description: 'calls parked on this instance at the end of the minute; null: no park feature' },
    conferences: { ...gauge, description: 'conferences on this instance at the end of the minute; null: no conference gauge' },
    partial: { type: 'boolean', description: 'the minute under way: counts so far' },
  },
} as const;

export const statsHistorySchema = {
  type: 'object',
  required: ['instanceId', 'intervalSeconds', 'samples'],
  properties: {
    instanceId: { type: 'string', description: 'the instance whose numbers these are (each keeps its own, in memory)' },
    intervalSeconds: { type: 'integer', minimum: 1 },
    samples: { type: 'array', items: sampleSchema, maxItems: 61, description: 'oldest first: up to 60 closed minutes, then the one under way' },
  },
} as const;

/** GET /v1/stats/history: the last hour of this instance, one sample a minute (issue 20, console plots). */
export function statsRoutes(router: ApiRouter, stats: StatsPort): void {
  // no `tenant`: the operator token only (a tenant token gets 403 E_OPERATOR_ONLY): the numbers are the platform's
  router.get('/stats/history', {
    schema: {
      summary: 'Calls per minute, answer rate, parked calls and conferences over the last hour, one sample a minute', tags: ['stats'],
      response: { 200: statsHistorySchema },
    },
  }, async () => ({
    instanceId: stats.instanceId,
    intervalSeconds: Math.round(stats.intervalMs / 1000),
    samples: (await stats.history()).map((s) => ({
      start: new Date(s.start).toISOString(),
      offered: s.offered,
      answered: s.answered,
      answerRate: s.offered > 0 ? Math.min(1, s.answered / s.offered) : null,
      parked: s.parked,
      conferences: s.conferences,
      ...(s.partial ? { partial: true } : {}),
    })),
  }));
}
