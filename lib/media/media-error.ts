/**
 * The coded errors of the media layer. A log reader or a REST client sees the code
 * (`E_MEDIA_TIMEOUT`), and for rtpengine's own refusals its `error-reason` verbatim.
 */
export type MediaErrorCode =
  /** rtpengine did not reply within the anchor's timeout (down, overloaded, wrong port) */
  | 'E_MEDIA_TIMEOUT'
  /** rtpengine replied `result: error`; `reason` holds its `error-reason` */
  | 'E_MEDIA_NG_ERROR'
  /** a reply without what the command must return (an offer without `sdp`) */
  | 'E_MEDIA_BAD_REPLY'
  /** the ng socket failed, or the anchor was closed */
  | 'E_MEDIA_TRANSPORT'
  /** the rtpengine process could not be started or did not answer a ping in time */
  | 'E_RTPENGINE_START'
  /** bad start options, or no free port / port block on the address */
  | 'E_RTPENGINE_CONFIG';

export class MediaError extends Error {
  override readonly name = 'MediaError';

  constructor(
    readonly code: MediaErrorCode,
    message: string,
    /** rtpengine's `error-reason`, for E_MEDIA_NG_ERROR */
    readonly reason?: string,
    /** the ng command that failed, when one did */
    readonly command?: string,
  ) {
    super(message);
  }
}
