import type { BeforeRing, RingLocation } from '../../lib/calls';
import type { Feature } from '../../lib/feature';
import { UserRepository } from '../../lib/store';
import { findMeRoutes } from './routes';
import { FindMeStore, type Location } from './settings';

/** Most users one location rings (a large group is cut, never the whole tenant's phones at once). */
const MAX_LOCATION_USERS = 32;

/** A location's users: named ones first, then the members of its groups, once each. */
async function resolve(users: UserRepository, tenant: string, l: Location): Promise<RingLocation> {
  const named = l.users ?? [];
  const groups = l.groups ?? [];
  const members = groups.length === 0 ? [] : (await users.list(tenant))
    .filter((u) => u.callGroups.some((g) => groups.includes(g))).map((u) => u.user);
  return { users: [...new Set([...named, ...members])].slice(0, MAX_LOCATION_USERS), ringMs: l.ringSeconds * 1000 };
}

/**
 * Find-me / follow-me (issue 17 item 3; service example 2.11): a user's locations ring
 * one after another, each for its own time; no answer, busy or unavailable moves to the
 * next (the ring plan CANCELs the last one), the first 200 wins, the caller hears
 * ringback throughout. A refusal (603) ends it; after the last location the user's
 * no-answer forward, if any, takes the call. Locations are users of the tenant (their
 * registered phones, the user itself included by name) and call groups (all their
 * members at once); the plain parallel ringing of
 * all of a user's phones (single line extension, 2.10) stays the default.
 */
export function findMeFeature(): Feature {
  let store: FindMeStore | undefined;
  let users: UserRepository | undefined;
  const need = (): { store: FindMeStore; users: UserRepository } => {
    if (!store || !users) throw new Error('findme feature not started');
    return { store, users };
  };

  return {
    name: 'findme',
    userCalls: {
      async beforeRing(c): Promise<BeforeRing> {
        const f = await need().store.get(c.tenant, c.user);
        if (!f.enabled || f.locations.length === 0) return { action: 'continue' };
        return { action: 'sequence', steps: await Promise.all(f.locations.map((l) => resolve(need().users, c.tenant, l))) };
      },
    },
    routes(api) {
      findMeRoutes(api, () => need());
    },
    async forgetUser(tenant, user) {
      await need().store.delete(tenant, user);
    },
    start(c) {
      store = new FindMeStore(c.redis);
      users = new UserRepository(c.redis);
    },
  };
}
