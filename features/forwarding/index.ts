import type { Feature, FeatureContext } from '../../lib/feature';
import { UserRepository } from '../../lib/store';
import { forwardingCodes } from './codes';
import { afterOutcome, beforeRing } from './decide';
import { forwardingRoutes } from './routes';
import { ForwardingStore } from './settings';

/**
 * Call forwarding and do-not-disturb (issue 17 items 2 and 4): a call service on the
 * user call's ring plan. It diverts before the phones ring (CFU, DND) or after they
 * did not answer (CFB, CFNR) while the caller waits; the ring plan sends 181, adds
 * History-Info and Diversion, and stops loops and long chains.
 */
export function forwardingFeature(): Feature {
  let ctx: FeatureContext | undefined;
  let store: ForwardingStore | undefined;
  let users: UserRepository | undefined;
  const need = (): { ctx: FeatureContext; store: ForwardingStore; users: UserRepository } => {
    if (!ctx || !store || !users) throw new Error('forwarding feature not started');
    return { ctx, store, users };
  };

  return {
    name: 'forwarding',
    codes: forwardingCodes(() => {
      const n = need();
      return { ...n, confirm: { srf: n.ctx.srf, media: n.ctx.media, address: n.ctx.config.sipHost } };
    }),
    userCalls: {
      beforeRing: async (c) => beforeRing(await need().store.get(c.tenant, c.user)),
      afterOutcome: async (c, outcome) => afterOutcome(await need().store.get(c.tenant, c.user), outcome),
    },
    routes(api) {
      forwardingRoutes(api, () => need());
    },
    async forgetUser(tenant, user) {
      await need().store.delete(tenant, user);
    },
    start(c) {
      ctx = c;
      store = new ForwardingStore(c.redis);
      users = new UserRepository(c.redis);
    },
  };
}
