import type Srf from 'drachtio-srf';
import { chooseUasTimer, hasOptionTag, parseSessionExpires, type UasTimerChoice, type UasTimerPolicy } from '../sip/session-expires';
import type { Call, Side } from './call';
import { SessionTimer } from './session-timer';

/** One leg's negotiated timer: the interval, and whether we refresh it. */
export interface LegTimer {
  expiresS: number;
  weRefresh: boolean;
  /** the peer accepts UPDATE (its Allow): refresh with an UPDATE without SDP, else a re-INVITE with ours */
  update: boolean;
}

/**
 * The callee leg's timer from its 2xx (RFC 4028 7.2): none when the 2xx has no
 * Session-Expires; we refresh when it names us (`uac`) or nobody.
 */
export function calleeLegTimer(uac: Srf.Dialog): LegTimer | undefined {
  const res = uac.res;
  if (!res.has('Session-Expires')) return undefined;
  const se = parseSessionExpires(res.get('Session-Expires'));
  if (!se) return undefined;
  return { expiresS: se.expires, weRefresh: se.refresher !== 'uas', update: res.has('Allow') && hasOptionTag(res.get('Allow'), 'update') };
}

/**
 * Runs the session timers of an answered call's legs (RFC 4028 10): refreshes where we
 * are the refresher, watches where the peer is, answers the peer's refreshes with the
 * Session-Expires it must see (RFC 4028 9), and calls `expired` once when a leg is
 * gone. Returns what stops them all (the call's end).
 */
export function startLegTimers(call: Call, legs: Partial<Record<Side, LegTimer>>, expired: (side: Side, why: string) => void): () => void {
  const timers: SessionTimer[] = [];
  for (const side of ['caller', 'callee'] as Side[]) {
    const leg = legs[side];
    const d = call.dialog(side);
    if (!leg || !d) continue;
    const ours = (): boolean => call.dialog(side) === d;
    const se = `${leg.expiresS};refresher=uac`;
    const timer = new SessionTimer({
      expiresS: leg.expiresS,
      weRefresh: leg.weRefresh,
      refresh: async () => {
        if (!ours()) return 200; // the leg left the call (released, replaced): not ours to keep
        const headers = { 'Session-Expires': se, Supported: 'timer', Require: 'timer' };
        if (leg.update) return (await d.request({ method: 'UPDATE', headers })).status;
        try {
          await d.modify(d.local.sdp, { headers });
          return 200;
        } catch (err) {
          const status = (err as { status?: number }).status;
          if (status === undefined) throw err;
          return status;
        }
      },
      expired: (why) => {
        if (ours()) expired(side, why);
      },
    });
    // the peer's refresh (any re-INVITE or UPDATE) restarts the clock; its 2xx says who
    // refreshes, seen from that transaction (RFC 4028 9): the sender if it is the peer's job
    const echo = { 'Session-Expires': `${leg.expiresS};refresher=${leg.weRefresh ? 'uas' : 'uac'}`, ...(leg.weRefresh ? {} : { Require: 'timer' }) };
    const onRefresh = (_req: Srf.SrfRequest, res: Srf.SrfResponse): void => {
      if (!ours()) return;
      timer.touch();
      addHeadersTo2xx(res, echo);
    };
    d.prependListener('modify', onRefresh);
    d.prependListener('update', onRefresh);
    timer.start();
    timers.push(timer);
  }
  return () => {
    for (const t of timers) t.stop();
  };
}

/** Makes a response's 2xx, whoever sends it (the relay, a feature), carry these headers too. */
function addHeadersTo2xx(res: Srf.SrfResponse, extra: Record<string, string>): void {
  const original = res.send;
  res.send = function (this: Srf.SrfResponse, status: number, ...rest: unknown[]): void {
    if (status >= 200 && status < 300) {
      // srf's send(status, [reason], [opts], [callback]): opts is the first object argument
      const at = typeof rest[0] === 'string' ? 1 : 0;
      const given = rest[at];
      if (given && typeof given === 'object') {
        const opts = given as { headers?: Record<string, string> };
        opts.headers = { ...extra, ...opts.headers };
      } else {
        rest.splice(at, 0, { headers: { ...extra } });
      }
    }
    Reflect.apply(original, this, [status, ...rest]);
  };
}

/** RFC 4028 9: the caller leg's timer, from the INVITE and our policy; undefined when timers are off. */
export function callerTimerChoice(req: Srf.SrfRequest, policy: UasTimerPolicy | undefined): UasTimerChoice | undefined {
  if (!policy) return undefined;
  const h = (name: string): string | undefined => (req.has(name) ? req.get(name) : undefined);
  return chooseUasTimer({ sessionExpires: h('Session-Expires') ?? h('x'), minSe: h('Min-SE'), supported: h('Supported') ?? h('k') }, policy);
}

/** RFC 4028 7.1: the callee is offered a timer; the 2xx says who refreshes. */
export function calleeTimerHeaders(policy: UasTimerPolicy | undefined): Record<string, string> {
  if (!policy) return {};
  return { 'Session-Expires': String(policy.expires), 'Min-SE': String(policy.minSe), Supported: 'timer' };
}
