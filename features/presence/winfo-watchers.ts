import type Srf from 'drachtio-srf';
import type { SubscribeContext } from '../../lib/feature';
import { hangUp } from '../../lib/sip/hang-up';
import { NotifyPacer } from '../../lib/sip/notify-pacer';
import { respond } from '../../lib/sip/respond';
import { DEFAULT_SUBSCRIPTION_LIMITS, SubscriptionBudget, type SubscriptionLimits } from '../../lib/sip/subscription-limits';
import { acceptSubscription, ENDS_SUBSCRIPTION, followDialog, grantOrRefuse, secondsLeft, sendNotify, takeOrRefuse } from './subscription-core';
import { SubscriptionIndex } from './subscription-index';
import type { WatcherChange } from './presence-watchers';
import { WINFO_TYPE, watcherinfoXml, type WatcherEntry } from './watcherinfo';

/**
 * Watcher information (RFC 3857) for a presentity, subscribed by the presentity itself
 * (RFC 3857 5.2: the watcher list is the presentity's own business). The first NOTIFY
 * after each SUBSCRIBE is the full list (RFC 3858 4.4), the following ones partial: only
 * the watchers whose status changed since the last one sent. Changes accumulate per
 * subscription in a map keyed by watcher id, so however often watchers come and go it
 * holds at most one entry per watcher; the pacer sends at most one NOTIFY per interval.
 */
export interface WinfoDeps {
  srf: Srf;
  /** the presentity's watchers now */
  watchers(tenant: string, presentity: string): WatcherChange[];
  limits?: Partial<SubscriptionLimits>;
  /** a NOTIFY was answered (the notifications metric) */
  onNotified?(): void;
}

interface WinfoSub {
  dialog: Srf.Dialog;
  tenant: string;
  presentity: string;
  version: number;
  full: boolean;
  changes: Map<string, WatcherEntry>;
  expiresAt: number;
  timer?: NodeJS.Timeout;
  pacer: NotifyPacer;
  release(): void;
  ended: boolean;
}

/** Watchers of one winfo document: a bound like the dialogs of a dialog-info document. */
const MAX_WATCHERS = 100;

function entry(w: WatcherChange, now: number): WatcherEntry {
  return { id: w.id, uri: w.uri, status: w.status, event: w.event, durationSubscribed: (now - w.startedAt) / 1000 };
}

export class WinfoWatchers {
  private readonly subs = new SubscriptionIndex<WinfoSub>();
  private readonly limits: SubscriptionLimits;
  private readonly budget: SubscriptionBudget;

  constructor(private readonly deps: WinfoDeps) {
    this.limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...deps.limits };
    this.budget = new SubscriptionBudget(this.limits);
  }

  async subscribe(ctx: SubscribeContext): Promise<void> {
    if (ctx.subscriber !== ctx.target) {
      respond(ctx.res, 403, 'Forbidden - Only The Presentity Sees Its Watchers');
      return;
    }
    const expires = grantOrRefuse(ctx.req, ctx.res, this.limits);
    if (expires === undefined) return;
    const key = `${ctx.tenant}~${ctx.target}`;
    const release = takeOrRefuse(ctx.res, this.budget, `${ctx.tenant}~${ctx.subscriber}`, key);
    if (!release) return;
    const dialog = await acceptSubscription(this.deps.srf, ctx.req, ctx.res, { Expires: String(expires) }, release);
    const s: WinfoSub = {
      dialog, tenant: ctx.tenant, presentity: ctx.target, version: 0, full: true, changes: new Map(),
      expiresAt: Date.now() + expires * 1000, release, ended: false,
      pacer: new NotifyPacer(() => this.notify(s), { intervalMs: this.limits.notifyIntervalMs, onGone: () => this.end(s) }),
    };
    if (expires === 0) {
      await this.terminate(s);
      return;
    }
    this.subs.add(key, s);
    this.arm(s);
    followDialog(dialog, {
      limits: this.limits,
      refreshed: (g) => {
        s.expiresAt = Date.now() + g * 1000;
        this.arm(s);
        s.full = true; // RFC 3858 4.4: a refresh gets the full state again
        s.pacer.poke();
      },
      unsubscribed: () => void this.terminate(s),
      destroyed: () => this.end(s),
    });
    s.pacer.poke();
  }

  /** A watcher of the presentity changed status: every winfo subscriber of it hears it. */
  changed(w: WatcherChange): void {
    const now = Date.now();
    for (const s of this.subs.get(`${w.tenant}~${w.presentity}`)) {
      s.changes.delete(w.id);
      s.changes.set(w.id, entry(w, now));
      if (s.changes.size > MAX_WATCHERS) s.full = true; // too many to list as changes: the next one is full
      s.pacer.poke();
    }
  }

  close(): void {
    for (const s of this.subs.all()) {
      this.end(s);
      hangUp(s.dialog);
    }
  }

  private arm(s: WinfoSub): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => void this.terminate(s), Math.max(0, s.expiresAt - Date.now()));
  }

  private end(s: WinfoSub): void {
    if (s.ended) return;
    s.ended = true;
    clearTimeout(s.timer);
    s.pacer.close();
    s.release();
    const key = `${s.tenant}~${s.presentity}`;
    this.subs.delete(key, s);
  }

  private async terminate(s: WinfoSub): Promise<void> {
    s.full = true;
    const body = this.document(s);
    this.end(s);
    try {
      await this.send(s, 'terminated;reason=timeout', body);
    } catch {
      hangUp(s.dialog);
    }
  }

  private document(s: WinfoSub): string {
    const resource = `sip:${s.presentity}@${s.tenant}`;
    const now = Date.now();
    const doc = s.full
      ? watcherinfoXml(resource, s.version, 'full', this.deps.watchers(s.tenant, s.presentity).slice(0, MAX_WATCHERS).map((w) => entry(w, now)))
      : watcherinfoXml(resource, s.version, 'partial', [...s.changes.values()]);
    s.version++;
    s.full = false;
    s.changes.clear();
    return doc;
  }

  private send(s: WinfoSub, state: string, body: string): Promise<Srf.SrfResponse> {
    return sendNotify(s.dialog, { Event: 'presence.winfo', 'Subscription-State': state, 'Content-Type': WINFO_TYPE }, body);
  }

  private async notify(s: WinfoSub): Promise<boolean> {
    if (s.ended) return false;
    const left = secondsLeft(s.expiresAt);
    try {
      const res = await this.send(s, `active;expires=${left}`, this.document(s));
      this.deps.onNotified?.();
      return !ENDS_SUBSCRIPTION.has(res.status);
    } catch {
      return false;
    }
  }
}
