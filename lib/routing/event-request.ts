import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { SipAuthenticator } from '../security';
import { respond } from '../sip/respond';
import type { UserRepository } from '../store';
import type { FeatureCodeDispatcher } from './feature-codes';
import { proxyAuthenticate } from './proxy-auth';
import { requestParties } from './request-parties';

/** What the PUBLISH and SUBSCRIBE routers need: the same for both. */
export interface EventRouterDeps {
  users: UserRepository;
  /** digest authentication with bans (lib/security) */
  auth: SipAuthenticator;
  features: FeatureCodeDispatcher;
  logger: Logger;
}

/** An authenticated request of an event package (RFC 6665 SUBSCRIBE, RFC 3903 PUBLISH). */
export interface EventRequest {
  /** the From host, the tenant whose users and resources the request reaches */
  tenant: string;
  /** the authenticated user, who is also the From user */
  user: string;
  /** the Request-URI user: the resource watched or whose state is published */
  target: string;
  /** the Event header's package (RFC 6665 8.2.1: event-type, parameters dropped) */
  event: string;
}

/**
 * The part SUBSCRIBE and PUBLISH share before any package sees them: readable parties
 * (400), proxy authentication in the From host's realm (407/403, RFC 3261 22.3), and the
 * From user being the authenticated one (403), so a package never sees a request that
 * speaks for someone else, nor one from another tenant. Undefined: the request was answered.
 */
export async function authenticateEventRequest(req: Srf.SrfRequest, res: Srf.SrfResponse, deps: EventRouterDeps): Promise<EventRequest | undefined> {
  const parties = requestParties(req, res);
  if (!parties) return undefined;
  const { from, ruri } = parties;
  const tenant = from.host;
  const user = await proxyAuthenticate(req, res, tenant, deps, deps.logger.child({ tenant, callId: req.get('Call-ID') }));
  if (user === undefined) return undefined;
  if (from.user !== user) {
    respond(res, 403, 'Forbidden - From does not match the credentials');
    return undefined;
  }
  return { tenant, user, target: ruri.user, event: eventType(req.get('Event')) };
}

/** RFC 6665 8.2.1 / 7.2.1: `Event: presence;id=3` names the package `presence`. */
export function eventType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim();
}

/** The log of one request handled by `feature`. */
export function requestLogger(deps: { logger: Logger }, req: Srf.SrfRequest, feature: string, tenant: string): Logger {
  return deps.logger.child({ feature, tenant, callId: req.get('Call-ID') });
}
