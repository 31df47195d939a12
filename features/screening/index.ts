import type { BeforeRing, UserCallContext } from '../../lib/calls';
import type { Feature, FeatureContext } from '../../lib/feature';
import { UserRepository } from '../../lib/store';
import { anyMatch } from '../../lib/sip/glob';
import { ScreeningStore } from './lists';
import { screeningRoutes } from './routes';

const CONTINUE: BeforeRing = { action: 'continue' };

/**
 * Screening (issue 17 item 5; service examples 2.12 incoming and 2.13 outgoing): calls
 * from blocked callers to a user, and from a user to blocked destinations, are refused
 * with `403 Screening Failure (Terminating)` / `(Originating)` before anything rings.
 * Also the user setting `anonymousCallRejection` (RFC 5079: 433 Anonymity Disallowed, or
 * ANONYMOUS_REJECT_STATUS), which used to live in the router.
 */
export function screeningFeature(): Feature {
  let ctx: FeatureContext | undefined;
  let store: ScreeningStore | undefined;
  let users: UserRepository | undefined;
  const need = (): { ctx: FeatureContext; store: ScreeningStore; users: UserRepository } => {
    if (!ctx || !store || !users) throw new Error('screening feature not started');
    return { ctx, store, users };
  };

  return {
    name: 'screening',
    userCalls: {
      async originating(c) {
        // RFC 3261 21.4.4 style refusal for the caller's side: its own list, then its tenant's
        const { store: s } = need();
        const [mine, tenant] = await Promise.all([s.user(c.tenant, c.caller.account), s.tenant(c.tenant)]);
        if (anyMatch([...mine.outgoing.destinations, ...tenant.destinations], [c.dialed])) {
          c.logger.info('outgoing call screened', { dialed: c.dialed });
          return { action: 'reject', status: 403, reason: 'Screening Failure (Originating)' };
        }
        return CONTINUE;
      },
      async beforeRing(c: UserCallContext) {
        const { ctx: fc, store: s, users: u } = need();
        if (c.caller.anonymous) {
          const record = await u.get(c.tenant, c.user);
          if (record?.anonymousCallRejection) {
            // RFC 5079: 433 Anonymity Disallowed (some handsets only know 488, hence configurable)
            const status = fc.config.anonymousRejectStatus;
            return { action: 'reject', status, reason: status === 433 ? 'Anonymity Disallowed' : undefined };
          }
        }
        const list = await s.user(c.tenant, c.user);
        const blocked = c.caller.anonymous
          ? list.incoming.anonymous
          : anyMatch(list.incoming.callers, [c.caller.user, c.caller.uri]);
        if (!blocked) return CONTINUE;
        c.logger.info('incoming call screened', { user: c.user, anonymous: c.caller.anonymous });
        return { action: 'reject', status: 403, reason: 'Screening Failure (Terminating)' };
      },
    },
    routes(api) {
      screeningRoutes(api, () => ({ store: need().store, users: need().users }));
    },
    async forgetUser(tenant, user) {
      await need().store.deleteUser(tenant, user);
    },
    start(c) {
      ctx = c;
      store = new ScreeningStore(c.redis);
      users = new UserRepository(c.redis);
    },
  };
}
