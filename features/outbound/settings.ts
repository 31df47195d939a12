import type { RedisClient } from '../../lib/store';
import { keys, TenantSettings } from '../../lib/store';

/** A trunk's gateway: where the INVITE goes, and the credentials for its 401/407. */
export interface Gateway {
  /** `sip:host[:port][;transport=udp|tcp]` */
  uri: string;
  username?: string;
  password?: string;
}

/** Destinations matching `pattern` (glob.ts) go to the gateways in order, the next on 503 or 408. */
export interface OutboundRoute {
  pattern: string;
  gateways: Gateway[];
}

export interface OutboundRoutes {
  routes: OutboundRoute[];
}

export const NO_ROUTES: OutboundRoutes = { routes: [] };

export class OutboundRouteStore extends TenantSettings<OutboundRoutes> {
  constructor(redis: RedisClient) {
    super(redis, keys.outboundRoutes, NO_ROUTES);
  }
}
