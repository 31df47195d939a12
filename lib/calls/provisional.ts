import type Srf from 'drachtio-srf';
import type { Call } from './call';
import type { CallHost } from './call-host';

/**
 * A callee's provisional response, relayed to the waiting caller (RFC 3261 16.7 step 5
 * from a B2BUA): the first one above 100 makes the call ringing; early media (183 with
 * SDP) goes through rtpengine like an answer. `done`: the caller is answered, cancelled
 * or picked up, and hears nothing more from the branches. `localRingback`: the caller
 * must hear its own ringback throughout (find-me: a location may be cancelled any time),
 * so a branch's early media is not passed on and its 183 reaches the caller as 180 (RFC
 * 3960 2: a 180 without SDP means local ringback).
 */
export async function relayProvisional(host: CallHost, call: Call, res: Srf.SrfResponse, prov: Srf.SrfResponse, done: () => boolean,
  opts: { localRingback?: boolean } = {}): Promise<void> {
  if (done() || prov.status <= 100) return;
  if (call.to('ringing')) {
    void host.persist(call).catch(() => undefined);
    host.emit((l) => l.onRinging?.(call));
  }
  if (opts.localRingback) {
    if (!done()) res.send(prov.status === 183 ? 180 : prov.status);
    return;
  }
  if (prov.body) {
    // early media (183 with SDP): the callee's SDP goes through rtpengine like an answer
    const toTag = /;\s*tag=([^;\s]+)/.exec(prov.get('To'))?.[1] ?? '';
    try {
      const body = await host.media.answer({ callId: call.mediaCallId, fromTag: call.caller.tag, toTag, sdp: prov.body });
      if (!done()) res.send(prov.status, { body });
    } catch (err) {
      call.log.warn('early media not anchored', { error: (err as Error).message });
    }
    return;
  }
  if (!done()) res.send(prov.status);
}
