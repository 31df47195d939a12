import type Srf from 'drachtio-srf';
import { answerInvite } from '../../lib/calls';
import type { FeatureCallContext } from '../../lib/feature';
import { confirmationTone, type MediaAnchor } from '../../lib/media';
import { sdpOffer } from '../../lib/media/audio';
import { hangUp, isConnected } from '../../lib/sip/hang-up';
import { respond } from '../../lib/sip/respond';

/** Bounds on the confirmation: whatever rtpengine says the tone lasts, then a little after it. */
const MAX_TONE_MS = 5_000;
const TONE_TAIL_MS = 300;
/** RFC 863 discard: where rtpengine may send the phone's own audio, which nobody listens to */
const DISCARD_PORT = 9;

export interface ConfirmDeps {
  srf: Srf;
  media: MediaAnchor;
  /** this server's media-facing address, for the silent far side of the session */
  address: string;
}

/**
 * The phone hears that its feature code took effect (issue 17 item 2: a short
 * confirmation tone), anchored in rtpengine like any call:
 *
 *   INVITE --> 200 (rtpengine's SDP, sendonly: the phone listens) --> ACK
 *          --> tone (ng `play media`) --> BYE once it played (sooner if the phone hangs up)
 *
 * The far side of the rtpengine session is no one: a sendonly description on the discard
 * port, which rtpengine passes on, so the answer the phone gets says we only send (RFC
 * 3264 6.1). A phone that offered no SDP, or a media relay that fails, gets the final
 * response instead: 480 with the setting as its reason phrase (the setting is stored
 * either way). Never throws.
 */
export async function confirmByTone(deps: ConfirmDeps, c: FeatureCallContext, what: string): Promise<void> {
  const { req, res } = c;
  const fallback = (why: string): void => {
    c.logger.info('feature code: no confirmation tone', { what, why });
    if (!res.finalResponseSent) respond(res, 480, `Temporarily Unavailable - ${what}`);
  };
  if (!req.body) return fallback('no SDP offer');
  const callId = req.get('Call-ID');
  const fromTag = /;\s*tag=([^;\s]+)/.exec(req.get('From'))?.[1] ?? '';
  const toneTag = `cnf-${fromTag}`;
  let dialog: Srf.Dialog | undefined;
  try {
    // rtpengine's offer toward the far side goes nowhere: the far side is no one
    await deps.media.offer({ callId, fromTag, sdp: req.body });
    const silent = sdpOffer({ localAddress: deps.address, localPort: DISCARD_PORT }, {
      sessionId: Date.now(), version: 1, name: 'confirmation', direction: 'sendonly',
    });
    const answer = await deps.media.answer({ callId, fromTag, toTag: toneTag, sdp: silent });
    let ended: Promise<void> = Promise.resolve();
    dialog = await answerInvite(deps.srf, req, res, answer, (d) => {
      // listening from the dialog's first tick: a BYE right behind the ACK ends the wait
      ended = new Promise((resolve) => d.on('destroy', () => resolve()));
    });
    c.logger.info('feature code confirmed with a tone', { what });
    const tone = confirmationTone();
    const played = await deps.media.playMedia({ callId, fromTag, blob: tone.wav });
    await untilOr(ended, Math.min(played.durationMs ?? tone.durationMs, MAX_TONE_MS) + TONE_TAIL_MS);
  } catch (err) {
    fallback((err as Error).message);
  } finally {
    if (dialog && isConnected(dialog)) hangUp(dialog);
    await deps.media.delete({ callId }).catch(() => undefined);
  }
}

/** Resolves when `p` does or after `ms`, whichever is first. */
function untilOr(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}
