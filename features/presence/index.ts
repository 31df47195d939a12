import { Counter, Gauge } from 'prom-client';
import type { Call } from '../../lib/calls';
import type { HttpMount } from '../../lib/api';
import type { Feature, FeatureContext } from '../../lib/feature';
import { DEFAULT_SUBSCRIPTION_LIMITS } from '../../lib/sip/subscription-limits';
import { respond } from '../../lib/sip/respond';
import { UserRepository } from '../../lib/store';
import { activityChanged, presenceChanged, watcherChanged } from './bus-events';
import { callActivity } from './call-activity';
import { ListWatchers } from './list-watchers';
import { composePidf } from './pidf';
import { PidfCache } from './pidf-cache';
import { PresenceWatchers, type WatcherChange } from './presence-watchers';
import { PublicationExpiry } from './publication-expiry';
import { PublicationStore } from './publications';
import { busiest, RemoteActivity } from './remote-activity';
import { RemoteWatchers } from './remote-watchers';
import { handlePublish } from './publish-handler';
import { WinfoWatchers } from './winfo-watchers';
import { createXcap } from './xcap';
import type { Xcap } from './xcap-port';

export { memoryXcap, type Authorization, type MemoryXcap, type Xcap } from './xcap-port';

/** The rules and lists presence reads; the real one also serves them over HTTP. */
export type XcapService = Xcap & { mount?(http: HttpMount): void; stop?(): Promise<void> };

export interface PresenceOptions {
  /**
   * the rules and lists, built once the feature starts; default: the XCAP server
   * (features/presence/xcap) on the platform's Redis, digest and bans, under /xcap-root
   */
  xcap?(ctx: FeatureContext): XcapService;
}

/** how often the watchers learned from other instances are checked for instances gone */
const REMOTE_SWEEP_MS = 30_000;

const realXcap = (c: FeatureContext): XcapService =>
  createXcap({ redis: c.redis, logger: c.logger, bus: c.bus, digest: c.auth.digest, guard: c.auth.guard });

/**
 * Presence (issue 19, call flows 4.1-4.9): PUBLISH of PIDF (RFC 3903, RFC 3863), SUBSCRIBE
 * to a user's presence (RFC 3856) authorized by its XCAP pres-rules (RFC 5025), with the
 * platform's view of its calls in the document, and to a user's own buddy lists (RFC 4662
 * resource lists, list-watchers.ts). Publications live in Redis and a change goes over
 * the instance bus, so watchers on any instance hear a PUBLISH to any other.
 */
export function presenceFeature(opts: PresenceOptions = {}): Feature {
  let xcapService: XcapService | undefined;
  let ctx: FeatureContext | undefined;
  let store: PublicationStore | undefined;
  let users: UserRepository | undefined;
  let watchers: PresenceWatchers | undefined;
  let winfo: WinfoWatchers | undefined;
  let lists: ListWatchers | undefined;
  const unsubscribe: Array<() => void> = [];
  const need = (): { ctx: FeatureContext; store: PublicationStore; users: UserRepository; watchers: PresenceWatchers } => {
    if (!ctx || !store || !users || !watchers) throw new Error('presence feature not started');
    return { ctx, store, users, watchers };
  };
  const changed = async (tenant: string, user: string): Promise<void> => {
    await need().ctx.bus.publish(presenceChanged, { tenant, user });
  };

  return {
    name: 'presence',
    publish: [{
      event: 'presence',
      async handle(c) {
        const n = need();
        const limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...n.ctx.config.subscriptions };
        await handlePublish(c, { store: n.store, expires: limits, changed });
      },
    }],
    events: [{
      event: 'presence',
      async handle(s) {
        const n = need();
        // not a user: perhaps one of the subscriber's buddy lists (RFC 4662, list-uri.ts)
        if (!(await n.users.get(s.tenant, s.target))) return lists?.subscribe(s) ?? false;
        if (s.req.has('Accept') && !(s.req.get('Accept') ?? '').toLowerCase().includes('application/pidf+xml')) {
          // RFC 6665 4.2.1.1: a body type the subscriber cannot take
          respond(s.res, 406, 'Not Acceptable', { Accept: 'application/pidf+xml' });
          return true;
        }
        await n.watchers.subscribe(s, `sip:${s.subscriber}@${s.tenant}`);
        return true;
      },
    }, {
      // RFC 3857: who watches the presentity, for the presentity itself
      event: 'presence.winfo',
      async handle(s) {
        const n = need();
        if (!winfo || !(await n.users.get(s.tenant, s.target))) return false;
        await winfo.subscribe(s);
        return true;
      },
    }],
    start(c) {
      ctx = c;
      const pubs = new PublicationStore(c.redis);
      store = pubs;
      users = new UserRepository(c.redis);
      const xcap = (opts.xcap ?? realXcap)(c);
      xcapService = xcap;
      const log = c.logger.child({ feature: 'presence' });
      const failed = (what: string) => (err: Error): void => {
        log.warn(`presence: ${what} failed`, { error: err.message });
      };
      const notifies = new Counter({ name: 'feature_server_presence_notifies_total', help: 'Presence NOTIFYs answered, by subscription kind',
        labelNames: ['subscription'] as const, registers: [c.metrics] });
      // a user's calls may live on any instance: each tells the others what its calls make the user do
      const activity = new RemoteActivity(c.bus.instanceId);
      // RFC 3903 5: a publication that runs out is a change its watchers hear (publication-expiry.ts)
      const expiry = new PublicationExpiry({
        recompose: (tenant, user) => {
          pidfs.invalidate(tenant, user);
          return pidfs.get(tenant, user);
        },
        watched: (tenant, user) => w.watchers(tenant, user).length > 0 || l.watchers(tenant, user).length > 0,
        changed: (tenant, user) => {
          w.changed(tenant, user);
          l.changed(tenant, user);
        },
        onError: failed('composing the state after a publication expired'),
      });
      unsubscribe.push(() => expiry.close());
      // one composition per change of a presentity, however many watchers it has
      const pidfs = new PidfCache(async (tenant, user) => {
        const list = await pubs.list(tenant, user);
        const body = composePidf(`sip:${user}@${tenant}`, list, busiest(callActivity(c.calls, tenant, user), activity.get(tenant, user)));
        return { body, validUntil: Math.min(Infinity, ...list.map((p) => p.expiresAt)) };
      }, { onComposed: (tenant, user, doc) => expiry.composed(tenant, user, doc.body, doc.validUntil) });
      const render = (tenant: string, user: string): Promise<string> => pidfs.get(tenant, user);
      // watcher information hears the watchers of every instance through the bus (issue 19 item 6)
      const remote = new RemoteWatchers(c.bus.instanceId);
      const wi = new WinfoWatchers({ srf: c.srf, limits: c.config.subscriptions,
        watchers: (tenant, user) => [...w.watchers(tenant, user), ...l.watchers(tenant, user), ...remote.list(tenant, user)],
        onNotified: () => notifies.inc({ subscription: 'winfo' }) });
      winfo = wi;
      const onWatcher = (change: WatcherChange): void => {
        c.bus.publish(watcherChanged, { ...change, from: c.bus.instanceId }).catch((err: Error) => {
          log.warn('presence: watcher change not published', { error: err.message });
          wi.changed(change); // the bus is down: this instance's winfo subscribers still hear it
        });
      };
      unsubscribe.push(c.bus.on(watcherChanged, (change) => {
        remote.heard(change);
        wi.changed(change);
      }));
      const sweep = setInterval(() => {
        remote.sweep((i) => c.bus.alive(i)).catch(failed('sweeping watchers of instances gone'));
        activity.sweep((i) => c.bus.alive(i))
          .then((users) => { for (const u of users) changed(u.tenant, u.user); })
          .catch(failed('sweeping call activity of instances gone'));
      }, REMOTE_SWEEP_MS);
      sweep.unref();
      unsubscribe.push(() => clearInterval(sweep));
      const w = new PresenceWatchers({ srf: c.srf, xcap, limits: c.config.subscriptions, onWatcher, render,
        onNotified: () => notifies.inc({ subscription: 'presentity' }) });
      watchers = w;
      const repo = users;
      const l = new ListWatchers({
        srf: c.srf, xcap, limits: c.config.subscriptions, onWatcher, render,
        onNotified: () => notifies.inc({ subscription: 'list' }),
        isUser: async (tenant, user) => (await repo.get(tenant, user)) !== null,
        onTruncated: (tenant, owner, name, entries) => log.warn('presence: resource list longer than the bound, the rest left out',
          { tenant, owner, list: name, entries }),
      });
      lists = l;
      new Gauge({ name: 'feature_server_presence_subscriptions', help: 'Active presence subscriptions on this instance',
        registers: [c.metrics], collect() { this.set(w.size); } });
      new Gauge({ name: 'feature_server_presence_list_subscriptions', help: 'Active resource list (RFC 4662) presence subscriptions on this instance',
        registers: [c.metrics], collect() { this.set(l.size); } });
      const changed = (tenant: string, user: string): void => {
        pidfs.invalidate(tenant, user);
        w.changed(tenant, user);
        l.changed(tenant, user);
      };
      unsubscribe.push(c.bus.on(presenceChanged, ({ tenant, user }) => changed(tenant, user)));
      unsubscribe.push(xcap.onChange(({ tenant, user, auid }) => {
        if (auid === 'pres-rules') {
          w.reauthorize(tenant, user).catch(failed('re-authorizing watchers'));
          l.reauthorize(tenant, user).catch(failed('re-authorizing list members'));
        } else if (auid === 'resource-lists') {
          l.listChanged(tenant, user).catch(failed('following a list edit'));
        }
      }));
      unsubscribe.push(c.bus.on(activityChanged, (e) => {
        activity.heard(e);
        changed(e.tenant, e.user);
      }));
      const tell = (tenant: string, user: string): void => {
        c.bus.publish(activityChanged, { from: c.bus.instanceId, tenant, user, activity: callActivity(c.calls, tenant, user) })
          .catch((err: Error) => {
            log.warn('presence: call activity not published', { error: err.message });
            changed(tenant, user); // the bus is down: this instance's watchers still hear it
          });
      };
      const calls = (call: Call): void => {
        tell(call.tenant, call.caller.user);
        tell(call.tenant, call.callee.user);
      };
      unsubscribe.push(c.calls.subscribe({ onRinging: calls, onAnswered: calls, onEnded: calls }));
    },
    http(mount) {
      // RFC 4825: users edit their pres-rules and resource lists over HTTP
      xcapService?.mount?.(mount);
    },
    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      watchers?.close();
      lists?.close();
      winfo?.close();
      await xcapService?.stop?.();
    },
  };
}
