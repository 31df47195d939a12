import type Srf from 'drachtio-srf';
import type { SubscribeContext } from '../../lib/feature';
import { hangUp } from '../../lib/sip/hang-up';
import { NotifyPacer } from '../../lib/sip/notify-pacer';
import { respond } from '../../lib/sip/respond';
import { DEFAULT_SUBSCRIPTION_LIMITS, SubscriptionBudget, type SubscriptionLimits } from '../../lib/sip/subscription-limits';
import { acceptSubscription, ENDS_SUBSCRIPTION, followDialog, grantOrRefuse, secondsLeft, sendNotify, takeOrRefuse } from './subscription-core';
import { acceptsAll, hasOptionTag, listName, listUri, localMember } from './list-uri';
import { isTerminated, packResources, type Member, type MemberAuth } from './list-members';
import { neutralPidf, PIDF_TYPE } from './pidf';
import type { WatcherChange } from './presence-watchers';
import { RLMI_TYPE, rlmiMessage, type RlmiMessage } from './rlmi';
import type { Xcap } from './xcap-port';

/**
 * Resource list subscriptions (RFC 4662) to a user's own buddy list (list-uri.ts names
 * them): one SUBSCRIBE, one dialog, and NOTIFYs whose body is a multipart/related of the
 * RLMI document and one PIDF per member it may see. The server is the RLS and the
 * presence agent at once, so it does not subscribe to members over SIP: each member is
 * judged by that member's pres-rules exactly as a direct watcher would be (RFC 4662 6:
 * the RLS must not give the list subscriber more than the member's own subscription;
 * list-members.ts maps rules to instance states).
 *
 * The first NOTIFY, and the one after each refresh or list edit, is full state (RFC 4662
 * 5.2: fullState="true", members not named are gone); the others are partial, naming only
 * the members that changed. The list subscription's own state is always active: the list
 * is the subscriber's own. Members follow presence changes and pres-rules edits on any
 * instance (the bus events PresenceWatchers follows too) and the owner's list edits.
 *
 * Bounds: MAX_LIST_MEMBERS members per list (more entries are left out and the log says
 * so); one NOTIFY carries at most MAX_NOTIFY_BODY_BYTES of member documents, the members
 * that do not fit stay marked and go in the next (partial) NOTIFY, paced like every
 * subscription (RFC 4662 5 allows state to be spread over several notifications). A list
 * subscription counts as one in the subscription budget.
 */

export const MAX_LIST_MEMBERS = 100;
export const MAX_NOTIFY_BODY_BYTES = 48 * 1024;

/** What a list SUBSCRIBE must accept (RFC 4662 4.1 / 5). */
const LIST_ACCEPT = ['multipart/related', RLMI_TYPE, PIDF_TYPE];

export interface ListWatchersDeps {
  srf: Srf;
  xcap: Xcap;
  /** the member's composed PIDF (publications and calls), as a direct watcher gets it */
  render(tenant: string, user: string): Promise<string>;
  /** whether `user` is a provisioned user of the tenant */
  isUser(tenant: string, user: string): Promise<boolean>;
  limits?: Partial<SubscriptionLimits>;
  /** a member's virtual subscription started, changed or ended (the member's watcher information) */
  onWatcher?(w: WatcherChange): void;
  /** a NOTIFY was answered (the notifications metric) */
  onNotified?(): void;
  /** a list was longer than MAX_LIST_MEMBERS */
  onTruncated?(tenant: string, owner: string, name: string, entries: number): void;
}

interface ListSub {
  id: string;
  dialog: Srf.Dialog;
  tenant: string;
  owner: string;
  name: string;
  uri: string;
  subscriberUri: string;
  members: Map<string, Member>;
  instances: number;
  version: number;
  full: boolean;
  expiresAt: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
  pacer: NotifyPacer;
  release(): void;
  ended: boolean;
}

let counter = 0;

export class ListWatchers {
  private readonly byMember = new Map<string, Set<ListSub>>();
  private readonly byOwner = new Map<string, Set<ListSub>>();
  private readonly limits: SubscriptionLimits;
  private readonly budget: SubscriptionBudget;

  constructor(private readonly deps: ListWatchersDeps) {
    this.limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...deps.limits };
    this.budget = new SubscriptionBudget(this.limits);
  }

  get size(): number {
    return this.budget.size;
  }

  /** False: the target names none of the subscriber's lists (the caller answers 404). */
  async subscribe(ctx: SubscribeContext): Promise<boolean> {
    const name = listName(ctx.target, ctx.subscriber);
    if (name === undefined) return false;
    const entries = await this.deps.xcap.list(ctx.tenant, ctx.subscriber, name);
    if (!entries) return false;
    if (!hasOptionTag(ctx.req.get('Supported'), 'eventlist')) {
      // RFC 4662 4.2: a list URI subscribed by a subscriber that cannot take a list
      respond(ctx.res, 421, 'Extension Required', { Require: 'eventlist' });
      return true;
    }
    const accept = ctx.req.get('Accept');
    if (accept !== undefined && !acceptsAll(accept, LIST_ACCEPT.slice(0, 2))) {
      // RFC 4662 4.1: the subscriber lists multipart/related and application/rlmi+xml
      respond(ctx.res, 406, 'Not Acceptable', { Accept: LIST_ACCEPT.join(', ') });
      return true;
    }
    const expires = grantOrRefuse(ctx.req, ctx.res, this.limits);
    if (expires === undefined) return true;
    const uri = listUri(ctx.subscriber, name, ctx.tenant);
    const release = takeOrRefuse(ctx.res, this.budget, `${ctx.tenant}~${ctx.subscriber}`, `${ctx.tenant}~${ctx.target}`);
    if (!release) return true;
    let initial: Array<{ uri: string; user?: string; auth: MemberAuth }>;
    try {
      initial = await this.resolveAll(ctx.tenant, `sip:${ctx.subscriber}@${ctx.tenant}`, this.bounded(ctx.tenant, ctx.subscriber, name, entries));
    } catch (err) {
      release();
      throw err;
    }
    // RFC 4662 5: the 200 says the subscription is to a list
    const dialog = await acceptSubscription(this.deps.srf, ctx.req, ctx.res, { Expires: String(expires), Require: 'eventlist' }, release);
    const now = Date.now();
    const s: ListSub = {
      id: `l${(++counter).toString(36)}${now.toString(36)}`, dialog, tenant: ctx.tenant, owner: ctx.subscriber, name, uri,
      subscriberUri: `sip:${ctx.subscriber}@${ctx.tenant}`, members: new Map(), instances: 0, version: 0, full: true,
      expiresAt: now + expires * 1000, startedAt: now, release, ended: false,
      pacer: new NotifyPacer(() => this.notify(s), { intervalMs: this.limits.notifyIntervalMs, onGone: () => this.end(s, 'giveup') }),
    };
    for (const r of initial) this.addMember(s, r, false);
    if (expires === 0) {
      // RFC 6665 4.4.3: a fetch, one full-state NOTIFY that ends it
      await this.terminate(s, 'timeout');
      return true;
    }
    this.index(this.byOwner, `${s.tenant}~${s.owner}`, s);
    this.arm(s);
    followDialog(dialog, {
      limits: this.limits,
      headers: { Require: 'eventlist' },
      refreshed: (g) => {
        s.expiresAt = Date.now() + g * 1000;
        this.arm(s);
        s.full = true; // RFC 4662 5.2 / RFC 6665 4.2.1.2: a refresh gets the full state
        s.pacer.poke();
      },
      // the final NOTIFY carries the full state
      unsubscribed: () => void this.terminate(s, 'timeout'),
      destroyed: () => this.end(s, 'giveup'),
    });
    for (const m of s.members.values()) this.tellWinfo(s, m, 'subscribe');
    s.pacer.poke();
    return true;
  }

  /** Watchers of `presentity` through lists on this instance, as its watcher information lists them. */
  watchers(tenant: string, presentity: string): WatcherChange[] {
    const out: WatcherChange[] = [];
    for (const s of this.byMember.get(`${tenant}~${presentity}`) ?? []) {
      for (const m of s.members.values()) {
        if (m.user === presentity && !isTerminated(m.auth)) out.push(this.describe(s, m, m.auth === 'confirm' ? 'subscribe' : 'approved'));
      }
    }
    return out;
  }

  /**
   * A member's presence changed: each list that may see it (allow) sends a partial NOTIFY
   * as soon as pacing allows. A pending or blocked member's change sends nothing: even the
   * fact of a change is not told before authorization (RFC 3856 6.6); a polite-blocked
   * one's neutral document does not change.
   */
  changed(tenant: string, user: string): void {
    for (const s of this.byMember.get(`${tenant}~${user}`) ?? []) {
      let any = false;
      for (const m of s.members.values()) {
        if (m.user !== user || m.auth !== 'allow') continue;
        m.dirty = true;
        any = true;
      }
      if (any) s.pacer.poke();
    }
  }

  /** A member's pres-rules changed: its instance in every list is judged again (RFC 4662 6). */
  async reauthorize(tenant: string, user: string): Promise<void> {
    for (const s of [...(this.byMember.get(`${tenant}~${user}`) ?? [])]) {
      const auth = await this.deps.xcap.authorize(tenant, user, s.subscriberUri);
      if (s.ended) continue;
      for (const m of s.members.values()) {
        if (m.user !== user || m.auth === auth) continue;
        // RFC 4662 5.2: a subscription that ended and is made again is a new instance
        if (isTerminated(m.auth)) m.instanceId = `i${++s.instances}`;
        m.auth = auth;
        m.dirty = true;
        this.tellWinfo(s, m, auth === 'block' ? 'rejected' : auth === 'confirm' ? 'subscribe' : 'approved');
        s.pacer.poke();
      }
    }
  }

  /** The owner's resource lists changed: every list subscription of it follows the new members. */
  async listChanged(tenant: string, owner: string): Promise<void> {
    for (const s of [...(this.byOwner.get(`${tenant}~${owner}`) ?? [])]) {
      const entries = await this.deps.xcap.list(tenant, owner, s.name);
      if (s.ended) continue;
      if (!entries) {
        // the list was deleted: RFC 6665 4.2.2 noresource
        await this.terminate(s, 'noresource');
        continue;
      }
      await this.reconcile(s, entries);
      s.full = true;
      s.pacer.poke();
    }
  }

  close(): void {
    for (const set of [...this.byOwner.values()]) for (const s of [...set]) {
      this.end(s, 'deactivated');
      hangUp(s.dialog);
    }
  }

  private bounded(tenant: string, owner: string, name: string, entries: readonly string[]): readonly string[] {
    if (entries.length <= MAX_LIST_MEMBERS) return entries;
    this.deps.onTruncated?.(tenant, owner, name, entries.length);
    return entries.slice(0, MAX_LIST_MEMBERS);
  }

  /** Makes the members those of `entries` (bounded), resolving and authorizing new ones. */
  private async reconcile(s: ListSub, entries: readonly string[]): Promise<void> {
    const wanted = this.bounded(s.tenant, s.owner, s.name, entries);
    const keep = new Set(wanted);
    for (const m of [...s.members.values()]) {
      if (keep.has(m.uri)) continue;
      s.members.delete(m.uri);
      if (m.user) this.dropIndex(s, m.user);
      if (!isTerminated(m.auth)) this.tellWinfo(s, m, 'deactivated', 'terminated');
    }
    const fresh = await this.resolveAll(s.tenant, s.subscriberUri, wanted.filter((uri) => !s.members.has(uri)));
    if (s.ended) return;
    for (const r of fresh) if (!s.members.has(r.uri)) this.addMember(s, r, true);
  }

  private addMember(s: ListSub, r: { uri: string; user?: string; auth: MemberAuth }, announce: boolean): void {
    const m: Member = { uri: r.uri, user: r.user, auth: r.auth, instanceId: `i${++s.instances}`, dirty: true };
    s.members.set(m.uri, m);
    if (m.user) this.index(this.byMember, `${s.tenant}~${m.user}`, s);
    if (announce) this.tellWinfo(s, m, 'subscribe');
  }

  /** Each entry's user and authorization (RFC 4662 6: as if the subscriber watched it directly). */
  private resolveAll(tenant: string, subscriberUri: string, uris: readonly string[]): Promise<Array<{ uri: string; user?: string; auth: MemberAuth }>> {
    return Promise.all(uris.map(async (uri) => {
      const user = localMember(uri, tenant);
      if (!user || !(await this.deps.isUser(tenant, user))) return { uri, auth: 'noresource' as const };
      return { uri, user, auth: await this.deps.xcap.authorize(tenant, user, subscriberUri) };
    }));
  }

  private index(map: Map<string, Set<ListSub>>, key: string, s: ListSub): void {
    if (!map.has(key)) map.set(key, new Set());
    map.get(key)?.add(s);
  }

  private dropIndex(s: ListSub, user: string): void {
    if ([...s.members.values()].some((m) => m.user === user)) return;
    const key = `${s.tenant}~${user}`;
    const set = this.byMember.get(key);
    set?.delete(s);
    if (set?.size === 0) this.byMember.delete(key);
  }

  private unindex(s: ListSub): void {
    for (const m of s.members.values()) {
      if (!m.user) continue;
      const key = `${s.tenant}~${m.user}`;
      const set = this.byMember.get(key);
      set?.delete(s);
      if (set?.size === 0) this.byMember.delete(key);
    }
    const key = `${s.tenant}~${s.owner}`;
    const set = this.byOwner.get(key);
    set?.delete(s);
    if (set?.size === 0) this.byOwner.delete(key);
  }

  private describe(s: ListSub, m: Member, event: WatcherChange['event'], status?: WatcherChange['status']): WatcherChange {
    return { tenant: s.tenant, presentity: m.user ?? '', id: `${s.id}.${m.instanceId}`, uri: s.subscriberUri, event, startedAt: s.startedAt,
      status: status ?? (m.auth === 'confirm' ? 'pending' : isTerminated(m.auth) ? 'terminated' : 'active') };
  }

  private tellWinfo(s: ListSub, m: Member, event: WatcherChange['event'], status?: WatcherChange['status']): void {
    if (m.user && (m.auth !== 'block' || event === 'rejected')) this.deps.onWatcher?.(this.describe(s, m, event, status));
  }

  private arm(s: ListSub): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => void this.terminate(s, 'timeout'), Math.max(0, s.expiresAt - Date.now()));
  }

  private end(s: ListSub, event: WatcherChange['event']): void {
    if (s.ended) return;
    s.ended = true;
    clearTimeout(s.timer);
    s.pacer.close();
    s.release();
    this.unindex(s);
    for (const m of s.members.values()) if (!isTerminated(m.auth)) this.tellWinfo(s, m, event, 'terminated');
  }

  /** The final NOTIFY (RFC 6665 4.2.2) with the full state of the list. */
  private async terminate(s: ListSub, reason: 'timeout' | 'noresource'): Promise<void> {
    s.full = true;
    const msg = reason === 'timeout' ? await this.document(s).catch(() => undefined) : undefined;
    this.end(s, reason === 'timeout' ? 'timeout' : 'deactivated');
    try {
      await this.send(s, `terminated;reason=${reason}`, msg);
    } catch {
      hangUp(s.dialog);
    }
  }

  private async memberBody(s: ListSub, m: Member): Promise<string | undefined> {
    if (m.auth === 'polite-block') return neutralPidf(m.uri);
    if (m.auth !== 'allow' || !m.user) return undefined;
    return this.deps.render(s.tenant, m.user);
  }

  /**
   * The next RLMI message: every member when full, else the changed ones. Flags are taken
   * before reading (a change during the read marks the member again) and put back if the
   * read fails; bodies past the byte bound stay marked for the next NOTIFY.
   */
  private async document(s: ListSub): Promise<RlmiMessage | undefined> {
    const full = s.full;
    const chosen = [...s.members.values()].filter((m) => full || m.dirty);
    if (!full && chosen.length === 0) return undefined;
    s.full = false;
    for (const m of chosen) m.dirty = false;
    let bodies: Array<string | undefined>;
    try {
      bodies = await Promise.all(chosen.map((m) => this.memberBody(s, m)));
    } catch (err) {
      s.full ||= full;
      for (const m of chosen) m.dirty = true;
      throw err;
    }
    const { resources, deferred } = packResources(chosen, bodies, MAX_NOTIFY_BODY_BYTES);
    for (const m of deferred) m.dirty = true;
    return rlmiMessage(s.uri, s.version++, full, resources, s.tenant);
  }

  private send(s: ListSub, state: string, msg: RlmiMessage | undefined): Promise<Srf.SrfResponse> {
    // RFC 4662 5: every NOTIFY of a list subscription requires eventlist
    const headers: Record<string, string> = { Event: 'presence', 'Subscription-State': state, Require: 'eventlist' };
    if (msg) headers['Content-Type'] = msg.contentType;
    return sendNotify(s.dialog, headers, msg?.body);
  }

  private async notify(s: ListSub): Promise<boolean> {
    if (s.ended) return false;
    let msg: RlmiMessage | undefined;
    try {
      msg = await this.document(s);
    } catch {
      setImmediate(() => s.pacer.poke()); // the state could not be read (Redis): try again
      return true;
    }
    if (!msg) return true;
    const left = secondsLeft(s.expiresAt);
    try {
      const res = await this.send(s, `active;expires=${left}`, msg);
      this.deps.onNotified?.();
      if ([...s.members.values()].some((m) => m.dirty)) s.pacer.poke(); // bodies that did not fit
      return !ENDS_SUBSCRIPTION.has(res.status);
    } catch {
      return false;
    }
  }
}
