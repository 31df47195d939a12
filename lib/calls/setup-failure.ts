import { MediaError } from '../media';

/** rtpengine's `error-reason`s that blame the offer itself, not rtpengine (its call.c / sdp.c). */
const BAD_OFFER = ['Failed to parse SDP', 'Incomplete SDP specification'];

export interface SetupFailure {
  status: number;
  reason: string;
  /** false when the media layer logged it already (the anchor logs every ng request that failed) */
  log: boolean;
}

/**
 * What the caller gets when setting up its call threw. An SDP rtpengine cannot read is
 * the caller's fault: RFC 3261 21.4.26 488 Not Acceptable Here (RFC 3264 6: the offer
 * cannot be used), not a 503 that invites a retry elsewhere. Anything else is ours: 503.
 */
export function setupFailure(err: unknown): SetupFailure {
  if (err instanceof MediaError) {
    if (err.code === 'E_MEDIA_NG_ERROR' && err.command === 'offer' && BAD_OFFER.some((r) => err.reason?.startsWith(r))) {
      return { status: 488, reason: 'Not Acceptable Here - Unreadable SDP', log: false };
    }
    return { status: 503, reason: 'Service Unavailable', log: err.code === 'E_MEDIA_BAD_REPLY' };
  }
  return { status: 503, reason: 'Service Unavailable', log: true };
}
