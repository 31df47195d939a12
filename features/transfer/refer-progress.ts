import type Srf from 'drachtio-srf';
import { isConnected } from '../../lib/sip/hang-up';

type Request = (o: object) => Promise<Srf.SrfResponse>;

/** How long the implicit subscription of a REFER lasts while the transfer runs (RFC 3515 2.4.4). */
const SUBSCRIPTION_S = 60;
/** A NOTIFY the transferor never answers does not hold the transfer up (RFC 3261 17.1.2.2: 64*T1). */
const NOTIFY_TIMEOUT_MS = 32_000;

/**
 * The implicit subscription a REFER creates (RFC 3515 2.4.4): NOTIFYs with
 * `Event: refer` and a `message/sipfrag;version=2.0` body (RFC 3420) carrying the
 * status line of the transfer's INVITE: `100 Trying` while it runs, its final status at
 * the end, with `Subscription-State: terminated`. A transferor that has hung up gets none.
 */
export class ReferProgress {
  private done = false;

  constructor(private readonly dialog: Srf.Dialog | undefined) {}

  trying(): Promise<void> {
    return this.send('SIP/2.0 100 Trying', `active;expires=${SUBSCRIPTION_S}`);
  }

  /** The final NOTIFY (once): `status` and its reason phrase. */
  final(status: number, reason: string): Promise<void> {
    if (this.done) return Promise.resolve();
    this.done = true;
    return this.send(`SIP/2.0 ${status} ${reason}`, 'terminated;reason=noresource');
  }

  private async send(frag: string, state: string): Promise<void> {
    const d = this.dialog;
    if (!d || !isConnected(d)) return;
    let timer: NodeJS.Timeout | undefined;
    const sent = (d.request as unknown as Request).call(d, {
      method: 'NOTIFY',
      headers: { Event: 'refer', 'Subscription-State': state, 'Content-Type': 'message/sipfrag;version=2.0' },
      body: `${frag}\r\n`,
    });
    try {
      await Promise.race([sent, new Promise((resolve) => (timer = setTimeout(resolve, NOTIFY_TIMEOUT_MS)))]);
    } catch {
      // the transferor hung up meanwhile: nobody to tell
    } finally {
      clearTimeout(timer);
      sent.catch(() => undefined);
    }
  }
}

/** RFC 3261 21: the reason phrases a transfer's NOTIFY carries for the statuses it meets. */
export function reasonOf(status: number): string {
  const reasons: Record<number, string> = {
    200: 'OK', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 480: 'Temporarily Unavailable',
    481: 'Call/Transaction Does Not Exist', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here',
    500: 'Server Internal Error', 503: 'Service Unavailable', 603: 'Decline',
  };
  return reasons[status] ?? (status < 300 ? 'OK' : 'Failed');
}
