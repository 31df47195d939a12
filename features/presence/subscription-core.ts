import type Srf from 'drachtio-srf';
import { respond } from '../../lib/sip/respond';
import { grantExpires, type SubscriptionBudget, type SubscriptionLimits } from '../../lib/sip/subscription-limits';

/**
 * What every presence subscription kind (presentity, watcher information, resource list)
 * does the same way with its dialog (RFC 6665): the expiry granted, the budget taken,
 * the dialog created, refreshes answered, NOTIFYs sent. srf's dialog methods are typed
 * loosely; they are typed once, here.
 */

/** RFC 6665 4.2.2: these answers to a NOTIFY mean the subscription is gone. */
export const ENDS_SUBSCRIPTION: ReadonlySet<number> = new Set([408, 481, 489]);

/** The expiry granted (RFC 6665 4.2.1.1), or undefined after answering 423 with Min-Expires. */
export function grantOrRefuse(req: Srf.SrfRequest, res: Srf.SrfResponse, limits: SubscriptionLimits): number | undefined {
  const g = grantExpires(req.get('Expires'), limits);
  if (g.kind === 'too-brief') {
    respond(res, 423, 'Interval Too Brief', { 'Min-Expires': String(g.minExpires) });
    return undefined;
  }
  return g.expires;
}

/** A place in the budget, or undefined after answering 503 (the instance is full) or 403 (the subscriber is). */
export function takeOrRefuse(res: Srf.SrfResponse, budget: SubscriptionBudget, subscriber: string, resource: string): (() => void) | undefined {
  const slot = budget.take(subscriber, resource);
  if (!('refused' in slot)) return slot.release;
  if (slot.refused === 'total') respond(res, 503, 'Service Unavailable - Too Many Subscriptions', { 'Retry-After': '60' });
  else respond(res, 403, 'Forbidden - Too Many Subscriptions');
  return undefined;
}

/** The 200 to the SUBSCRIBE and its dialog; the budget place is given back if that fails. */
export async function acceptSubscription(srf: Srf, req: Srf.SrfRequest, res: Srf.SrfResponse, headers: Record<string, string>,
  release: () => void): Promise<Srf.Dialog> {
  const createUas = srf.createUAS as unknown as (q: Srf.SrfRequest, r: Srf.SrfResponse, o: object) => Promise<Srf.Dialog>;
  try {
    return await createUas.call(srf, req, res, { headers });
  } catch (err) {
    release();
    throw err;
  }
}

export interface DialogHandlers {
  limits: SubscriptionLimits;
  /** headers every 200 to a refresh carries besides Expires */
  headers?: Record<string, string>;
  /** a refresh was granted for `expires` seconds (RFC 6665 4.2.1.2: it gets a NOTIFY) */
  refreshed(expires: number): void;
  /** Expires: 0 in the dialog (srf answers it): the final NOTIFY carries the state (RFC 6665 4.2.1.4) */
  unsubscribed(): void;
  /** the dialog is gone */
  destroyed(): void;
}

/** Follows the in-dialog SUBSCRIBEs and the end of a subscription dialog. */
export function followDialog(dialog: Srf.Dialog, h: DialogHandlers): void {
  const on = dialog.on.bind(dialog) as unknown as (e: string, f: (...a: never[]) => void) => void;
  on('subscribe', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
    const expires = grantOrRefuse(req, res, h.limits);
    if (expires === undefined) return;
    res.send(200, { headers: { Expires: String(expires), ...h.headers } });
    h.refreshed(expires);
  });
  on('unsubscribe', () => h.unsubscribed());
  on('destroy', () => h.destroyed());
}

/** One NOTIFY in the dialog. */
export function sendNotify(dialog: Srf.Dialog, headers: Record<string, string>, body?: string): Promise<Srf.SrfResponse> {
  const request = dialog.request as unknown as (o: object) => Promise<Srf.SrfResponse>;
  return request.call(dialog, { method: 'NOTIFY', headers, ...(body !== undefined ? { body } : {}) });
}

/** RFC 6665 4.2.1: the expires parameter of Subscription-State, seconds left. */
export function secondsLeft(expiresAt: number, now = Date.now()): number {
  return Math.max(0, Math.round((expiresAt - now) / 1000));
}
