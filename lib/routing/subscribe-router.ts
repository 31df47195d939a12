import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { SipAuthenticator } from '../security';
import { respond } from '../sip/respond';
import type { UserRepository } from '../store';
import type { FeatureCodeDispatcher } from './feature-codes';
import { proxyAuthenticate } from './proxy-auth';
import { requestParties } from './request-parties';

export interface SubscribeRouterDeps {
  users: UserRepository;
  /** digest authentication with bans (lib/security) */
  auth: SipAuthenticator;
  features: FeatureCodeDispatcher;
  logger: Logger;
}

/**
 * New SUBSCRIBEs (RFC 6665): authenticated like INVITEs (407), then handed to the
 * feature serving the event package for the watched resource; 489 Bad Event when no
 * feature serves the package (RFC 6665 8.2.1), 404 when none knows the resource.
 * Whether this subscriber may watch the resource is the package's decision (RFC 6665
 * 4.2.1.2: 403 by policy), since only the feature knows what its resource reveals; the
 * router guarantees the subscriber is authenticated as the From user of the tenant the
 * resource is looked up in, so no package sees a subscriber of another tenant.
 */
export function createSubscribeRouter(deps: SubscribeRouterDeps) {
  return async (req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> => {
    const parties = requestParties(req, res);
    if (!parties) return;
    const { from, ruri } = parties;
    const realm = from.host;
    const username = await proxyAuthenticate(req, res, realm, deps, deps.logger.child({ tenant: realm, callId: req.get('Call-ID') }));
    if (username === undefined) return;
    if (from.user !== username) {
      respond(res, 403, 'Forbidden - From does not match the credentials');
      return;
    }
    const event = (req.get('Event') ?? '').split(';')[0].trim();
    const packages = deps.features.eventPackages(event);
    if (packages.length === 0) {
      // RFC 6665 8.2.2: Allow-Events lists the packages served here
      respond(res, 489, 'Bad Event', { 'Allow-Events': deps.features.subscribableEvents().join(', ') || 'dialog' });
      return;
    }
    for (const p of packages) {
      const log = deps.logger.child({ feature: p.feature, tenant: realm, callId: req.get('Call-ID') });
      if (await p.pkg.handle({ req, res, tenant: realm, subscriber: username, target: ruri.user, logger: log })) return;
    }
    respond(res, 404, 'Not Found');
  };
}
