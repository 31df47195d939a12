import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import { UserCallPlan, type CallManager } from '../calls';
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
  /** unused: anonymous rejection is the screening feature's (kept so the composition root compiles unchanged) */
  anonymousRejectStatus?: number;
  internalToken: string;
}

/** Most users one call may reach through diversions, the dialed one included (issue 17: loop and chain protection). */
const MAX_CHAIN = 6;

/**
 * What happens to a new INVITE: authenticate the caller (407, call flow "Call with NAT
 * traversal"), then a feature code, or a call to a user of the same tenant: the call
 * services' hooks (screening, forwarding) decide through its ring plan, and the B2BUA
 * rings every contact it registered.
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
    const callerParty = anonymous
      ? { user: 'anonymous', uri: 'sip:anonymous@anonymous.invalid', anonymous, account: username }
      : { user: caller.user, uri: `sip:${caller.user}@${tenant}`, anonymous, account: username };
    const base = { tenant, caller: callerParty, dialed, logger: log };
    const hooks = deps.features.userCallHooks();
    for (const h of hooks) {
      // outgoing call services (originating screening) see the call before the callee is known
      const d = await h.originating?.(base);
      if (d && d.action === 'reject') {
        respond(res, d.status, d.reason);
        return;
      }
    }
    const callerForCalls = { user: callerParty.user, tenant, uri: callerParty.uri, display: caller.display };
    if (!(await deps.users.get(tenant, dialed))) {
      for (const h of hooks) {
        const external = await h.external?.(base);
        if (external) {
          await deps.calls.connect(req, res, { tenant, caller: callerForCalls, callee: { user: dialed, uri: `sip:${dialed}@${tenant}` }, plan: external });
          return;
        }
      }
      respond(res, 404, 'Not Found');
      return;
    }
    const plan = new UserCallPlan({
      hooks, ringMs: deps.noAnswerMs, maxUsers: MAX_CHAIN, logger: log,
      contacts: async (user) => (await deps.registrations.lookup(tenant, user)).map(contactTarget),
      isUser: async (user) => (await deps.users.get(tenant, user)) !== null,
    }, base);
    await deps.calls.connect(req, res, {
      tenant,
      caller: callerForCalls,
      callee: { user: dialed, uri: `sip:${dialed}@${tenant}` },
      plan,
    });
  };
}
