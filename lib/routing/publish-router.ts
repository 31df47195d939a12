import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { SipAuthenticator } from '../security';
import { respond } from '../sip/respond';
import type { UserRepository } from '../store';
import type { FeatureCodeDispatcher } from './feature-codes';
import { proxyAuthenticate } from './proxy-auth';
import { requestParties } from './request-parties';

export interface PublishRouterDeps {
  users: UserRepository;
  /** digest authentication with bans (lib/security) */
  auth: SipAuthenticator;
  features: FeatureCodeDispatcher;
  logger: Logger;
}

/**
 * PUBLISH (RFC 3903): authenticated like every request (407), then handed to the
 * feature that composes the event package's state; 489 Bad Event with the packages that
 * are served when none composes it (RFC 3903 6 step 2). Whose state a user may publish
 * is the compositor's decision; the router guarantees the publisher is authenticated as
 * the From user of the tenant.
 */
export function createPublishRouter(deps: PublishRouterDeps) {
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
    const p = deps.features.publisher(event);
    if (!p) {
      respond(res, 489, 'Bad Event', { 'Allow-Events': deps.features.publishedEvents().join(', ') || 'presence' });
      return;
    }
    const log = deps.logger.child({ feature: p.feature, tenant: realm, callId: req.get('Call-ID') });
    await p.handler.handle({ req, res, tenant: realm, publisher: username, target: ruri.user, logger: log });
  };
}
