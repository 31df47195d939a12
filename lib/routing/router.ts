import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { CallManager } from '../calls';
import { isAnonymous } from '../sip/addresses';
import { parseDigest } from '../sip/digest-auth';
import type { SipAuthenticator } from '../security';
import { parseReplaces } from '../sip/replaces';
import { respond } from '../sip/respond';
import type { RegistrationRepository, UserRepository } from '../store';
import type { FeatureCodeDispatcher } from './feature-codes';
import { contactTarget } from './contact-target';
import { proxyAuthenticate } from './proxy-auth';
import { requestParties } from './request-parties';
import { INTERNAL_TOKEN_HEADER } from '../feature';
import { timingSafeEqual } from 'node:crypto';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface RouterDeps {
  users: UserRepository;
  registrations: RegistrationRepository;
  /** digest authentication with bans (lib/security) */
  auth: SipAuthenticator;
  calls: CallManager;
  features: FeatureCodeDispatcher;
  logger: Logger;
  noAnswerMs: number;
  anonymousRejectStatus: number;
  internalToken: string;
}

/**
 * What happens to a new INVITE: authenticate the caller (407, call flow "Call with NAT
 * traversal"), then a feature code, or a user of the same tenant reached through the
 * B2BUA at every contact it registered.
 */
export function createRouter(deps: RouterDeps) {
  return async (req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> => {
    const parties = requestParties(req, res);
    if (!parties) return;
    const { from, ruri } = parties;
    const token = req.get(INTERNAL_TOKEN_HEADER);
    if (token) {
      const service = deps.features.service(ruri.user);
      if (service && safeEqual(token, deps.internalToken)) {
        await service.service.handle(req, res, deps.logger.child({ feature: service.feature, callId: req.get('Call-ID') }));
        return;
      }
      respond(res, 403, 'Forbidden');
      return;
    }
    const anonymous = isAnonymous(req.get('From'), req.get('Privacy'));
    // an anonymous From says nothing of the tenant: the credentials' realm does
    const realm = anonymous ? parseDigest(req.get('Proxy-Authorization'))?.realm ?? ruri.host : from.host;
    const log = deps.logger.child({ callId: req.get('Call-ID'), tenant: realm });
    const username = await proxyAuthenticate(req, res, realm, deps, log);
    if (username === undefined) return;
    if (!anonymous && from.user !== username) {
      respond(res, 403, 'Forbidden - From does not match the credentials');
      return;
    }
    const tenant = realm;
    const caller = { user: username, display: anonymous ? 'Anonymous' : from.display };
    const dialed = ruri.user;
    if (req.has('Replaces')) {
      // RFC 3891 3: the INVITE replaces a dialog of ours, or it gets 481
      const replaces = parseReplaces(req.get('Replaces'));
      if (!replaces) {
        respond(res, 400, 'Bad Request - Malformed Replaces');
        return;
      }
      for (const r of deps.features.replacesHandlers()) {
        if (await r.handler.handle({ req, res, tenant, caller, dialed, logger: log.child({ feature: r.feature }) }, replaces)) {
          log.info('INVITE with Replaces', { feature: r.feature, replaces: replaces.callId });
          return;
        }
      }
      respond(res, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    for (const feature of deps.features.matches(dialed)) {
      const taken = await feature.code.handle({ req, res, tenant, caller, dialed, match: feature.match, logger: log.child({ feature: feature.feature }) });
      if (taken !== false) {
        log.info('feature code', { feature: feature.feature, dialed });
        return;
      }
    }
    const callee = await deps.users.get(tenant, dialed);
    if (!callee) {
      respond(res, 404, 'Not Found');
      return;
    }
    if (anonymous && callee.anonymousCallRejection) {
      // RFC 5079: 433 Anonymity Disallowed (some handsets only know 488, hence configurable)
      respond(res, deps.anonymousRejectStatus, deps.anonymousRejectStatus === 433 ? 'Anonymity Disallowed' : undefined);
      return;
    }
    const bindings = await deps.registrations.lookup(tenant, dialed);
    if (bindings.length === 0) {
      respond(res, 404, 'Not Found - Not Registered');
      return;
    }
    await deps.calls.connect(req, res, {
      tenant,
      caller: { user: anonymous ? 'anonymous' : caller.user, tenant, uri: anonymous ? 'sip:anonymous@anonymous.invalid' : `sip:${caller.user}@${tenant}`, display: caller.display },
      callee: { user: dialed, uri: `sip:${dialed}@${tenant}` },
      targets: bindings.map(contactTarget),
      noAnswerMs: deps.noAnswerMs,
    });
  };
}
