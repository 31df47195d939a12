import { PIDF_TYPE } from './pidf';
import type { RlmiResource } from './rlmi';
import type { Authorization } from './xcap-port';

/**
 * The members of a resource list subscription (RFC 4662) and how each one's state is
 * told in RLMI (RFC 4662 5.2): what its own pres-rules allow the list's subscriber
 * (RFC 4662 6: no more than a direct subscription would get), and which documents fit in
 * one NOTIFY.
 */

/** A member's authorization by its pres-rules, or 'noresource' when it is no user here. */
export type MemberAuth = Authorization | 'noresource';

export interface Member {
  uri: string;
  /** the local user it names; undefined: not a user here (noresource) */
  user?: string;
  /** RFC 4662 5.2 instance id, unique within the subscription; a new one when a terminated member comes back */
  instanceId: string;
  auth: MemberAuth;
  /** changed since the last NOTIFY */
  dirty: boolean;
}

/**
 *   allow        -> active, the composed PIDF
 *   polite-block -> active, the neutral document (RFC 5025 3.2.1)
 *   confirm      -> pending, no body (RFC 4662 5.2: nothing before authorization)
 *   block        -> terminated, reason rejected
 *   noresource   -> terminated, reason noresource (RFC 6665 4.2.2)
 */
export function instanceState(auth: MemberAuth): Pick<RlmiResource, 'state' | 'reason'> {
  if (auth === 'allow' || auth === 'polite-block') return { state: 'active' };
  if (auth === 'confirm') return { state: 'pending' };
  return { state: 'terminated', reason: auth === 'block' ? 'rejected' : 'noresource' };
}

export const isTerminated = (auth: MemberAuth): boolean => auth === 'block' || auth === 'noresource';

/**
 * The RLMI resources of one NOTIFY for `members` with their documents (`bodies[i]` for
 * `members[i]`, undefined for none), at most `maxBytes` of documents: the first document
 * always goes (one document is bounded by the PIDF bounds), the ones after it that would
 * pass the bound are left out and returned in `deferred`, to go in the next NOTIFY (RFC
 * 4662 5.2: an instance without cid has no state in this notification).
 */
export function packResources(members: readonly Member[], bodies: ReadonlyArray<string | undefined>, maxBytes: number):
  { resources: RlmiResource[]; deferred: Member[] } {
  let used = 0;
  let any = false;
  const deferred: Member[] = [];
  const resources = members.map((m, i): RlmiResource => {
    const r: RlmiResource = { uri: m.uri, instanceId: m.instanceId, ...instanceState(m.auth) };
    const text = bodies[i];
    if (text === undefined) return r;
    const size = Buffer.byteLength(text, 'utf8');
    if (!any || used + size <= maxBytes) {
      r.body = { contentType: PIDF_TYPE, text };
      used += size;
      any = true;
    } else {
      deferred.push(m);
    }
    return r;
  });
  return { resources, deferred };
}
