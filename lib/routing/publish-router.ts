import type Srf from 'drachtio-srf';
import { respond } from '../sip/respond';
import { authenticateEventRequest, requestLogger, type EventRouterDeps } from './event-request';

export type PublishRouterDeps = EventRouterDeps;

/**
 * PUBLISH (RFC 3903): authenticated like every request (event-request.ts), then handed
 * to the feature that composes the event package's state; 489 Bad Event with the
 * packages that are served when none composes it (RFC 3903 6 step 2). Whose state a user
 * may publish is the compositor's decision.
 */
export function createPublishRouter(deps: PublishRouterDeps) {
  return async (req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> => {
    const r = await authenticateEventRequest(req, res, deps);
    if (!r) return;
    const p = deps.features.publisher(r.event);
    if (!p) {
      respond(res, 489, 'Bad Event', { 'Allow-Events': deps.features.publishedEvents().join(', ') || 'presence' });
      return;
    }
    await p.handler.handle({ req, res, tenant: r.tenant, publisher: r.user, target: r.target, logger: requestLogger(deps, req, p.feature, r.tenant) });
  };
}
