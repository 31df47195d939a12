import type { Feature } from '../../lib/feature';
import { globMatch } from '../../lib/sip/glob';
import { routeSequence } from './route-sequence';
import { outboundRoutes } from './routes';
import { OutboundRouteStore } from './settings';

/**
 * Outbound routes (issue 17 item 6): a destination that is no user of the tenant goes to
 * the gateways of the first route whose pattern matches the dialed user part, in order,
 * with failover on 503/408 and the trunk's digest credentials for its 401/407. Nothing
 * matches: 404, nothing is sent (no open relay).
 */
export function outboundFeature(): Feature {
  let store: OutboundRouteStore | undefined;
  let ringMs = 30000;
  const need = (): OutboundRouteStore => {
    if (!store) throw new Error('outbound feature not started');
    return store;
  };

  return {
    name: 'outbound',
    userCalls: {
      async external(c) {
        const { routes } = await need().get(c.tenant);
        const route = routes.find((r) => globMatch(r.pattern, c.dialed));
        if (!route || route.gateways.length === 0) return undefined;
        c.logger.info('outbound route', { dialed: c.dialed, pattern: route.pattern });
        return routeSequence(c.dialed, route.gateways, ringMs);
      },
    },
    routes(api) {
      outboundRoutes(api, need);
    },
    start(c) {
      store = new OutboundRouteStore(c.redis);
      ringMs = c.config.noAnswerTimeout * 1000;
    },
  };
}
