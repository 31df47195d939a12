import type Srf from 'drachtio-srf';
import type { SubscribeContext } from '../../lib/feature';
import { hangUp } from '../../lib/sip/hang-up';
import { NotifyPacer } from '../../lib/sip/notify-pacer';
import { respond } from '../../lib/sip/respond';
import { DEFAULT_SUBSCRIPTION_LIMITS, SubscriptionBudget, type SubscriptionLimits } from '../../lib/sip/subscription-limits';
import { neutralPidf, PIDF_TYPE } from './pidf';
import { acceptSubscription, ENDS_SUBSCRIPTION, followDialog, grantOrRefuse, secondsLeft, sendNotify, takeOrRefuse } from './subscription-core';
import { SubscriptionIndex } from './subscription-index';
import type { Authorization, Xcap } from './xcap-port';

/**
 * Subscriptions to presentities (RFC 3856, RFC 6665) held by this instance. Each carries
 * the authorization the presentity's rules gave its watcher (RFC 5025 via Xcap) and
 * follows it: allow -> active with the composed PIDF; confirm -> pending, NOTIFYs without
 * a body (RFC 3856 6.6: nothing is told before authorization); polite-block -> active with
 * a neutral document; block -> 403 at SUBSCRIBE, or a NOTIFY terminated;reason=rejected
 * when the rules change under a live subscription (RFC 6665 4.2.2). Bounds and NOTIFY
 * pacing are the platform's (lib/sip/subscription-limits.ts, notify-pacer.ts).
 *
 * ```
 *   SUBSCRIBE --allow/polite-block--> active <--rules change--> pending <--confirm-- SUBSCRIBE
 *                                       |  \___________  ____________/   |
 *                                       |              \/                |
 *                        expiry/Expires:0/481      rules say block      ...
 *                                       v              v                 v
 *                                           terminated (final NOTIFY)
 * ```
 */

export interface PresenceWatchersDeps {
  srf: Srf;
  xcap: Xcap;
  /** the presentity's composed PIDF (publications and calls) */
  render(tenant: string, user: string): Promise<string>;
  limits?: Partial<SubscriptionLimits>;
  /** a subscription started, changed state or ended (watcher information, RFC 3857) */
  onWatcher?(w: WatcherChange): void;
  /** a NOTIFY was answered (the notifications metric) */
  onNotified?(): void;
}

export interface WatcherChange {
  tenant: string;
  presentity: string;
  id: string;
  uri: string;
  status: 'pending' | 'active' | 'terminated';
  event: 'subscribe' | 'approved' | 'rejected' | 'timeout' | 'deactivated' | 'giveup';
  startedAt: number;
}

interface Sub {
  id: string;
  dialog: Srf.Dialog;
  tenant: string;
  presentity: string;
  entity: string;
  watcherUri: string;
  auth: Authorization;
  expiresAt: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
  pacer: NotifyPacer;
  release(): void;
  ended: boolean;
}

let counter = 0;

export class PresenceWatchers {
  private readonly subs = new SubscriptionIndex<Sub>();
  private readonly limits: SubscriptionLimits;
  private readonly budget: SubscriptionBudget;

  constructor(private readonly deps: PresenceWatchersDeps) {
    this.limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...deps.limits };
    this.budget = new SubscriptionBudget(this.limits);
  }

  get size(): number {
    return this.budget.size;
  }

  /** Watchers of a presentity on this instance, as watcher information lists them. */
  watchers(tenant: string, presentity: string): WatcherChange[] {
    return this.subs.get(`${tenant}~${presentity}`).map((s) => this.describe(s, s.auth === 'confirm' ? 'subscribe' : 'approved'));
  }

  async subscribe(ctx: SubscribeContext, watcherUri: string): Promise<void> {
    const expires = grantOrRefuse(ctx.req, ctx.res, this.limits);
    if (expires === undefined) return;
    const auth = await this.deps.xcap.authorize(ctx.tenant, ctx.target, watcherUri);
    if (auth === 'block') {
      // RFC 3856 6.6 / RFC 5025 3.2.1: a blocked watcher is refused
      respond(ctx.res, 403, 'Forbidden');
      return;
    }
    const key = `${ctx.tenant}~${ctx.target}`;
    const release = takeOrRefuse(ctx.res, this.budget, `${ctx.tenant}~${ctx.subscriber}`, key);
    if (!release) return;
    const dialog = await acceptSubscription(this.deps.srf, ctx.req, ctx.res, { Expires: String(expires) }, release);
    const now = Date.now();
    const s: Sub = {
      id: `w${(++counter).toString(36)}${now.toString(36)}`, dialog, tenant: ctx.tenant, presentity: ctx.target,
      entity: `sip:${ctx.target}@${ctx.tenant}`, watcherUri, auth, expiresAt: now + expires * 1000, startedAt: now,
      release, ended: false,
      pacer: new NotifyPacer(() => this.notify(s), { intervalMs: this.limits.notifyIntervalMs, onGone: () => this.end(s, 'giveup') }),
    };
    if (expires === 0) {
      // RFC 6665 4.4.3: a fetch, one NOTIFY that ends it
      await this.terminate(s, 'timeout', 'timeout');
      return;
    }
    this.subs.add(key, s);
    this.arm(s);
    followDialog(dialog, {
      limits: this.limits,
      refreshed: (g) => {
        s.expiresAt = Date.now() + g * 1000;
        this.arm(s);
        s.pacer.poke(); // RFC 6665 4.2.1.2: a refresh gets a NOTIFY
      },
      unsubscribed: () => void this.terminate(s, 'timeout', 'timeout'),
      destroyed: () => this.end(s, 'giveup'),
    });
    this.deps.onWatcher?.(this.describe(s, 'subscribe'));
    s.pacer.poke();
  }

  /**
   * The presentity's state changed: each authorized watcher hears it as soon as its pacing
   * allows. A pending watcher hears nothing: even the fact that something changed is not
   * told before authorization (RFC 3856 6.6, RFC 3857 5: the presentity decides first); a
   * polite-blocked one's neutral document does not change (RFC 5025 3.2.1).
   */
  changed(tenant: string, presentity: string): void {
    for (const s of this.subs.get(`${tenant}~${presentity}`)) if (s.auth === 'allow') s.pacer.poke();
  }

  /** The presentity's rules changed (flows 4.4, 4.5): every live subscription is judged again now. */
  async reauthorize(tenant: string, presentity: string): Promise<void> {
    for (const s of this.subs.get(`${tenant}~${presentity}`)) {
      const auth = await this.deps.xcap.authorize(tenant, presentity, s.watcherUri);
      if (s.ended || auth === s.auth) continue;
      if (auth === 'block') {
        await this.terminate(s, 'rejected', 'rejected');
        continue;
      }
      const was = s.auth;
      s.auth = auth;
      this.deps.onWatcher?.(this.describe(s, auth === 'confirm' ? 'subscribe' : was === 'confirm' ? 'approved' : 'approved'));
      s.pacer.poke();
    }
  }

  close(): void {
    for (const s of this.subs.all()) {
      this.end(s, 'deactivated');
      hangUp(s.dialog);
    }
  }

  private describe(s: Sub, event: WatcherChange['event'], status?: WatcherChange['status']): WatcherChange {
    return { tenant: s.tenant, presentity: s.presentity, id: s.id, uri: s.watcherUri, event, startedAt: s.startedAt,
      status: status ?? (s.auth === 'confirm' ? 'pending' : 'active') };
  }

  private arm(s: Sub): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => void this.terminate(s, 'timeout', 'timeout'), Math.max(0, s.expiresAt - Date.now()));
  }

  private end(s: Sub, event: WatcherChange['event']): void {
    if (s.ended) return;
    s.ended = true;
    clearTimeout(s.timer);
    s.pacer.close();
    s.release();
    this.subs.delete(`${s.tenant}~${s.presentity}`, s);
    this.deps.onWatcher?.(this.describe(s, event, 'terminated'));
  }

  /** The final NOTIFY (RFC 6665 4.2.2): terminated with a reason; srf lets the dialog go once it is answered. */
  private async terminate(s: Sub, reason: 'timeout' | 'rejected', event: WatcherChange['event']): Promise<void> {
    const body = reason === 'rejected' ? undefined : await this.body(s).catch(() => undefined);
    this.end(s, event);
    try {
      await this.send(s, `terminated;reason=${reason}`, body);
    } catch {
      hangUp(s.dialog);
    }
  }

  private async body(s: Sub): Promise<string | undefined> {
    if (s.auth === 'confirm' || s.auth === 'block') return undefined;
    if (s.auth === 'polite-block') return neutralPidf(s.entity);
    return this.deps.render(s.tenant, s.presentity);
  }

  private send(s: Sub, state: string, body: string | undefined): Promise<Srf.SrfResponse> {
    const headers: Record<string, string> = { Event: 'presence', 'Subscription-State': state };
    if (body !== undefined) headers['Content-Type'] = PIDF_TYPE;
    return sendNotify(s.dialog, headers, body);
  }

  private async notify(s: Sub): Promise<boolean> {
    if (s.ended) return false;
    let body: string | undefined;
    try {
      body = await this.body(s);
    } catch {
      setImmediate(() => s.pacer.poke()); // the state could not be read (Redis): try again
      return true;
    }
    const left = secondsLeft(s.expiresAt);
    const state = s.auth === 'confirm' ? `pending;expires=${left}` : `active;expires=${left}`;
    try {
      const res = await this.send(s, state, body);
      this.deps.onNotified?.();
      return !ENDS_SUBSCRIPTION.has(res.status);
    } catch {
      return false;
    }
  }
}
