import type Srf from 'drachtio-srf';
import { respond } from '../sip/respond';
import { authenticateEventRequest, requestLogger, type EventRouterDeps } from './event-request';

export type SubscribeRouterDeps = EventRouterDeps;

/**
 * New SUBSCRIBEs (RFC 6665): authenticated like INVITEs (event-request.ts), then handed
 * to the feature serving the event package for the watched resource; 489 Bad Event when
 * no feature serves the package (RFC 6665 8.2.1), 404 when none knows the resource.
 * Whether this subscriber may watch the resource is the package's decision (RFC 6665
 * 4.2.1.2: 403 by policy), since only the feature knows what its resource reveals.
 */
export function createSubscribeRouter(deps: SubscribeRouterDeps) {
  return async (req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> => {
    const r = await authenticateEventRequest(req, res, deps);
    if (!r) return;
    const packages = deps.features.eventPackages(r.event);
    if (packages.length === 0) {
      // RFC 6665 8.2.2: Allow-Events lists the packages served here
      respond(res, 489, 'Bad Event', { 'Allow-Events': deps.features.subscribableEvents().join(', ') || 'dialog' });
      return;
    }
    for (const p of packages) {
      const ctx = { req, res, tenant: r.tenant, subscriber: r.user, target: r.target, logger: requestLogger(deps, req, p.feature, r.tenant) };
      if (await p.pkg.handle(ctx)) return;
    }
    respond(res, 404, 'Not Found');
  };
}
