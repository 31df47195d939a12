import type Srf from 'drachtio-srf';
import type { Call } from '../../lib/calls';
import type { MediaAnchor } from '../../lib/media';
import type { SlotAnnouncer } from './announcement';

/** Bounds on waiting for the announcement: whatever rtpengine says, and a little after it. */
const MAX_ANNOUNCEMENT_MS = 10_000;
const ANNOUNCEMENT_TAIL_MS = 300;

/** Resolves after `ms`, or earlier when the dialog ends (the far end hung up). */
function untilEndedOr(dialog: Srf.Dialog, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      dialog.off('destroy', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    dialog.on('destroy', done);
  });
}

export interface ReleaseParkerDeps {
  media: MediaAnchor;
  /** the slot announcement; none: the parker is released at once */
  announcer?: SlotAnnouncer;
}

export interface ParkerToRelease {
  call: Call;
  slot: string;
  /** the call's old media session, which now holds only the parker (its media blocked toward the parked party) */
  mediaCallId: string;
  /** the parker's tag in that session */
  tag: string;
  /** the parker's dialog, detached from the call */
  dialog: Srf.Dialog | undefined;
  /** tells the parker where the call went (REFER: the NOTIFY) */
  beforeRelease?(slot: string): Promise<void>;
}

/**
 * The parker hears "your call is parked at <slot>" (rtpengine play media on the call's
 * old session), then is told (REFER: the NOTIFY) and released with a BYE, and the old
 * session ends. Hanging up during the announcement just ends it sooner. Never throws.
 */
export async function releaseParker(deps: ReleaseParkerDeps, p: ParkerToRelease): Promise<void> {
  const { call, slot, dialog } = p;
  if (dialog && deps.announcer) {
    try {
      const a = deps.announcer.announce(slot);
      const played = await deps.media.playMedia({ callId: p.mediaCallId, fromTag: p.tag, blob: a.wav });
      await untilEndedOr(dialog, Math.min(played.durationMs ?? a.durationMs, MAX_ANNOUNCEMENT_MS) + ANNOUNCEMENT_TAIL_MS);
    } catch (err) {
      call.log.warn('park: the slot announcement failed', { slot, error: (err as Error).message });
    }
  }
  await p.beforeRelease?.(slot).catch((err: Error) => call.log.warn('park: telling the parker failed', { error: err.message }));
  if (dialog) await Promise.resolve(dialog.destroy()).catch((err: Error) => call.log.info('park: BYE to the parker', { error: err.message }));
  await deps.media.delete({ callId: p.mediaCallId }).catch((err: Error) => call.log.warn('park: old media session', { error: err.message }));
}
