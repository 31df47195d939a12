import type Srf from 'drachtio-srf';
import type { SubscribeContext } from '../feature';
import { hangUp } from './hang-up';
import { NotifyPacer } from './notify-pacer';
import { respond } from './respond';
import { DEFAULT_SUBSCRIPTION_LIMITS, grantExpires, NotifyResponsiveness, SubscriptionBudget, type BudgetRefusal, type SubscriptionLimits } from './subscription-limits';

/**
 * The dialog event package (RFC 4235) as BLF lamps use it: a SUBSCRIBE `Event: dialog` to
 * a resource (a user, a park slot) gets its dialogs now and a NOTIFY on every change
 * (RFC 6665 4.2), until the subscription expires or is withdrawn. Features decide what a
 * resource's dialogs are; this module owns the subscriptions and the XML, and bounds both
 * (subscription-limits.ts): subscriptions per subscriber, per resource and in all, their
 * Expires, one NOTIFY in flight and one per interval per subscription (notify-pacer.ts),
 * no new subscription for a subscriber that leaves its NOTIFYs unanswered, and the
 * dialogs in one document.
 */

/** One dialog element (RFC 4235 4.1). Tags and Call-ID let a phone build a Replaces (RFC 3891). */
export interface DialogInfoEntry {
  id: string;
  state: 'trying' | 'proceeding' | 'early' | 'confirmed' | 'terminated';
  direction?: 'initiator' | 'recipient';
  callId?: string;
  localTag?: string;
  remoteTag?: string;
  /** the other party's URI (RFC 4235 4.1.6.2 remote identity) */
  remote?: string;
  local?: string;
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** One pass, one new string (XML 1.0 2.4: the characters markup would take), however long the input. */
function xmlEscape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => XML_ENTITIES[c]);
}

/**
 * At most `max` dialogs for one document, the ones a lamp most needs first: ringing ones
 * (a phone picks them up with Replaces), then calls in progress, then ended ones. RFC 4235
 * leaves to the notifier's policy which dialogs it reports (RFC 4235 3.10 filtering; a
 * full-state document without a dialog says it is over).
 */
export function capDialogs(dialogs: readonly DialogInfoEntry[], max: number): DialogInfoEntry[] {
  if (dialogs.length <= max) return [...dialogs];
  const rank = (d: DialogInfoEntry): number => (d.state === 'confirmed' ? 1 : d.state === 'terminated' ? 2 : 0);
  const out: DialogInfoEntry[] = [];
  for (let r = 0; r <= 2 && out.length < max; r++) {
    for (const d of dialogs) {
      if (out.length >= max) break;
      if (rank(d) === r) out.push(d);
    }
  }
  return out;
}

/** RFC 4235 4: a full-state dialog-info document. */
export function dialogInfoXml(entity: string, version: number, dialogs: readonly DialogInfoEntry[]): string {
  const lines = [`<?xml version="1.0"?>`,
    `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${xmlEscape(entity)}">`];
  for (const d of dialogs) {
    const attrs = [`id="${xmlEscape(d.id)}"`];
    if (d.callId) attrs.push(`call-id="${xmlEscape(d.callId)}"`);
    if (d.localTag) attrs.push(`local-tag="${xmlEscape(d.localTag)}"`);
    if (d.remoteTag) attrs.push(`remote-tag="${xmlEscape(d.remoteTag)}"`);
    if (d.direction) attrs.push(`direction="${d.direction}"`);
    const local = d.local ? `<local><identity>${xmlEscape(d.local)}</identity></local>` : '';
    const remote = d.remote ? `<remote><identity>${xmlEscape(d.remote)}</identity></remote>` : '';
    lines.push(`<dialog ${attrs.join(' ')}><state>${d.state}</state>${local}${remote}</dialog>`);
  }
  lines.push('</dialog-info>', '');
  return lines.join('\r\n');
}

interface Watch {
  dialog: Srf.Dialog;
  tenant: string;
  name: string;
  /** tenant~user of the subscriber */
  subscriber: string;
  entity: string;
  version: number;
  expiresAt: number;
  timer?: NodeJS.Timeout;
  pacer: NotifyPacer;
  /** dialogs that ended since the last NOTIFY, reported once as terminated (bounded by maxDialogs) */
  ended: Map<string, DialogInfoEntry>;
  release(): void;
}

type Request = (o: object) => Promise<Srf.SrfResponse>;

/**
 * RFC 6665 4.2.2: a NOTIFY answered 481 means the subscriber has no such subscription,
 * a timeout (408, Timer F) that it is gone; 489 that it does not take the package. The
 * subscription is removed then, as after a transport error.
 */
const ENDS_SUBSCRIPTION = new Set([408, 481, 489]);

/** The refusals of a subscription over a cap (RFC 6665 4.2.1.2). */
function refuse(res: Srf.SrfResponse, why: BudgetRefusal): void {
  // All subscriptions here: the notifier is out of room for now (RFC 3261 21.5.4, a retry
  // later may succeed). One subscriber's or one resource's: a policy, which no retry
  // changes until one of those subscriptions ends (RFC 6665 4.2.1.2: 403).
  if (why === 'total') respond(res, 503, 'Service Unavailable - Too Many Subscriptions', { 'Retry-After': '60' });
  else if (why === 'subscriber') respond(res, 403, 'Forbidden - Too Many Subscriptions Of This Subscriber');
  else respond(res, 403, 'Forbidden - Too Many Subscriptions To This Resource');
}

/** Subscriptions to resources keyed by `tenant~name`; `dialogs(key)` is the current state. */
export class DialogInfoWatchers {
  private readonly watches = new Map<string, Set<Watch>>();
  private readonly limits: SubscriptionLimits;
  private readonly budget: SubscriptionBudget;
  private readonly responsiveness: NotifyResponsiveness;

  constructor(private readonly srf: Srf, private readonly dialogs: (tenant: string, name: string) => Promise<DialogInfoEntry[]> | DialogInfoEntry[],
    limits: Partial<SubscriptionLimits> = {}) {
    this.limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...limits };
    this.budget = new SubscriptionBudget(this.limits);
    // a subscriber's NOTIFYs in flight: one per subscription, and fetches up to as many
    this.responsiveness = new NotifyResponsiveness({ ...this.limits, maxInFlight: this.limits.maxPerSubscriber });
  }

  /** Active subscriptions. */
  get size(): number {
    return this.budget.size;
  }

  /** NOTIFYs sent and not yet answered, over all subscriptions (at most one each). */
  get outstanding(): number {
    let n = 0;
    for (const set of this.watches.values()) for (const w of set) n += w.pacer.outstanding;
    return n;
  }

  /**
   * Accepts the SUBSCRIBE (200 with the granted Expires) and sends the first NOTIFY at once
   * (RFC 6665 4.2.1.2), or refuses it: 423 under the least Expires, 403/503 over a cap,
   * 503 with Retry-After while the subscriber leaves a NOTIFY unanswered or after one timed out.
   */
  async subscribe(ctx: SubscribeContext, name: string): Promise<void> {
    const grant = grantExpires(ctx.req.get('Expires'), this.limits);
    if (grant.kind === 'too-brief') {
      respond(ctx.res, 423, 'Interval Too Brief', { 'Min-Expires': String(grant.minExpires) });
      return;
    }
    // RFC 6665 4.1.2.1 / RFC 3261 8.1.1.8: a SUBSCRIBE carries the Contact its NOTIFYs go to;
    // without one there is nowhere to send them (srf's createUAS would throw after the budget was taken)
    if (!(ctx.req.get('Contact') ?? '').trim()) {
      respond(ctx.res, 400, 'Bad Request - Missing Contact');
      return;
    }
    const subscriber = `${ctx.tenant}~${ctx.subscriber}`;
    const retryAfter = this.responsiveness.retryAfter(subscriber);
    if (retryAfter > 0) {
      // RFC 6665 4.2.2 ends a subscription whose NOTIFY timed out; a new one for the same
      // subscriber would only be retransmitted into the void again (issue #13: an amplifier)
      ctx.logger.info('dialog subscription refused: the subscriber leaves NOTIFYs unanswered', { subscriber: ctx.subscriber, target: name, retryAfter });
      respond(ctx.res, 503, 'Service Unavailable - NOTIFY Unanswered', { 'Retry-After': String(retryAfter) });
      return;
    }
    if (grant.expires === 0) {
      await this.fetch(ctx, subscriber, name);
      return;
    }
    const key = `${ctx.tenant}~${name}`;
    const slot = this.budget.take(subscriber, key);
    if ('refused' in slot) {
      ctx.logger.info('dialog subscription over a limit', { subscriber: ctx.subscriber, target: name, limit: slot.refused });
      refuse(ctx.res, slot.refused);
      return;
    }
    let dialog: Srf.Dialog;
    try {
      dialog = await this.accept(ctx, grant.expires);
    } catch (err) {
      slot.release();
      throw err;
    }
    const on = dialog.on.bind(dialog) as unknown as (e: string, f: (...a: never[]) => void) => void;
    const w: Watch = {
      dialog, tenant: ctx.tenant, name, subscriber, entity: `sip:${name}@${ctx.tenant}`, version: 0, expiresAt: Date.now() + grant.expires * 1000,
      ended: new Map(), release: slot.release,
      pacer: new NotifyPacer(() => this.notify(w), { intervalMs: this.limits.notifyIntervalMs, onGone: () => {
        ctx.logger.info('dialog subscription removed: its NOTIFY failed', { subscriber: ctx.subscriber, target: name });
        this.drop(w);
        hangUp(dialog); // the engine has let go already; this ends srf's side too
      } }),
    };
    if (!this.watches.has(key)) this.watches.set(key, new Set());
    this.watches.get(key)?.add(w);
    const arm = (): void => {
      clearTimeout(w.timer);
      w.timer = setTimeout(() => {
        this.drop(w);
        // the final NOTIFY: Subscription-State terminated (RFC 6665 4.2.2), after the one in
        // flight, if any, is answered or timed out (then the dialog is gone and none is sent);
        // Timer F is 32 s (RFC 3261 17.1.2.2), the wait is bounded a little above it
        void w.pacer.whenIdle(40000).then(() => hangUp(dialog));
      }, Math.max(0, w.expiresAt - Date.now()));
    };
    arm();
    on('subscribe', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      // a refresh (Expires 0 is srf's 'unsubscribe'); it gets a NOTIFY too, paced like any (RFC 6665 4.2.1.2)
      const g = grantExpires(req.get('Expires'), this.limits);
      if (g.kind === 'too-brief') {
        respond(res, 423, 'Interval Too Brief', { 'Min-Expires': String(g.minExpires) });
        return;
      }
      w.expiresAt = Date.now() + g.expires * 1000;
      res.send(200, { headers: { Expires: String(g.expires) } });
      arm();
      w.pacer.poke();
    });
    on('unsubscribe', () => {
      this.drop(w);
      hangUp(dialog);
    });
    on('destroy', () => this.drop(w));
    w.pacer.poke();
  }

  /** Whether anyone here watches this resource (cheap check before computing its state). */
  watched(tenant: string, name: string): boolean {
    return this.watches.has(`${tenant}~${name}`);
  }

  /**
   * The resource changed: every watcher hears its full state, `extra` (terminated dialogs)
   * included, as soon as its NOTIFY rate allows; changes in between are coalesced.
   */
  changed(tenant: string, name: string, extra: readonly DialogInfoEntry[] = []): void {
    const set = this.watches.get(`${tenant}~${name}`);
    if (!set) return;
    for (const w of set) {
      for (const e of extra) {
        w.ended.delete(e.id);
        w.ended.set(e.id, e);
        if (w.ended.size > this.limits.maxDialogs) w.ended.delete(w.ended.keys().next().value as string);
      }
      w.pacer.poke();
    }
  }

  close(): void {
    for (const set of [...this.watches.values()]) {
      for (const w of [...set]) {
        this.drop(w);
        hangUp(w.dialog);
      }
    }
    this.watches.clear();
  }

  private accept(ctx: SubscribeContext, expires: number): Promise<Srf.Dialog> {
    const createUas = this.srf.createUAS as unknown as (q: Srf.SrfRequest, r: Srf.SrfResponse, o: object) => Promise<Srf.Dialog>;
    return createUas.call(this.srf, ctx.req, ctx.res, { headers: { Expires: String(expires) } });
  }

  /** RFC 6665 4.4.3: Expires 0 on a new SUBSCRIBE fetches the state once, in a NOTIFY that ends it. */
  private async fetch(ctx: SubscribeContext, subscriber: string, name: string): Promise<void> {
    const dialog = await this.accept(ctx, 0);
    try {
      const res = await this.send(dialog, subscriber, 'terminated;reason=timeout', `sip:${name}@${ctx.tenant}`, 0, await this.document(ctx.tenant, name, []));
      if (res.status >= 300) hangUp(dialog);
    } catch {
      hangUp(dialog);
    }
  }

  private drop(w: Watch): void {
    clearTimeout(w.timer);
    w.pacer.close();
    w.release();
    const key = `${w.tenant}~${w.name}`;
    const set = this.watches.get(key);
    set?.delete(w);
    if (set?.size === 0) this.watches.delete(key);
  }

  private async document(tenant: string, name: string, ended: readonly DialogInfoEntry[]): Promise<DialogInfoEntry[]> {
    return capDialogs([...(await this.dialogs(tenant, name)), ...ended], this.limits.maxDialogs);
  }

  /** One NOTIFY; whether the subscriber answered it is recorded (a timeout or a send that failed holds it back). */
  private async send(dialog: Srf.Dialog, subscriber: string, state: string, entity: string, version: number, dialogs: readonly DialogInfoEntry[]): Promise<Srf.SrfResponse> {
    const done = this.responsiveness.sent(subscriber);
    try {
      const res = await (dialog.request as unknown as Request).call(dialog, {
        method: 'NOTIFY',
        headers: { Event: 'dialog', 'Subscription-State': state, 'Content-Type': 'application/dialog-info+xml' },
        body: dialogInfoXml(entity, version, dialogs),
      });
      // RFC 3261 8.1.3.1: the engine reports Timer F as a 408
      done(res.status === 408 ? 'timeout' : 'answered');
      return res;
    } catch (err) {
      done('timeout');
      throw err;
    }
  }

  /** One NOTIFY with the state as it is now; false when the subscription is gone (RFC 6665 4.2.2). */
  private async notify(w: Watch): Promise<boolean> {
    const ended = [...w.ended.values()];
    w.ended.clear();
    let dialogs: DialogInfoEntry[];
    try {
      dialogs = await this.document(w.tenant, w.name, ended);
    } catch {
      // the state could not be read (Redis): try again at the next interval, the subscriber is not at fault
      setImmediate(() => w.pacer.poke());
      return true;
    }
    const left = Math.max(0, Math.round((w.expiresAt - Date.now()) / 1000));
    try {
      const res = await this.send(w.dialog, w.subscriber, `active;expires=${left}`, w.entity, w.version++, dialogs);
      return !ENDS_SUBSCRIPTION.has(res.status);
    } catch {
      return false; // the engine could not send it (transport error, dialog gone)
    }
  }
}
