import type { ForkTarget, RingNext, RingSequence, StepOutcome } from '../../lib/calls';
import { timedOutStatus } from '../../lib/calls';
import type { Gateway } from './settings';

/** The Request-URI toward a gateway: the dialed user part at the gateway's host. */
export function gatewayTarget(dialed: string, g: Gateway): ForkTarget {
  const target: ForkTarget = { uri: g.uri.replace(/^sip:/, `sip:${dialed}@`) };
  if (g.username && g.password) target.auth = { username: g.username, password: g.password };
  return target;
}

/**
 * RFC 3261 21.5.4 / 21.4.9 and RFC 3263's spirit for a trunk: a gateway that answers 503
 * or never answers (408) is skipped for the next one of the route; any other failure is
 * the destination's own answer and goes to the caller.
 */
export function routeSequence(dialed: string, gateways: readonly Gateway[], ringMs: number): RingSequence {
  let i = 0;
  const step = (): RingNext => ({ kind: 'ring', targets: [gatewayTarget(dialed, gateways[i])], ringMs });
  return {
    first: async () => step(),
    async next(o: StepOutcome): Promise<RingNext> {
      const failover = o.status === 503 || o.status === 408 || (o.timedOut && !o.rang);
      if (failover && ++i < gateways.length) return step();
      return o.timedOut ? { kind: 'final', ...timedOutStatus(o) } : { kind: 'final', status: o.status, reason: o.reason };
    },
  };
}
