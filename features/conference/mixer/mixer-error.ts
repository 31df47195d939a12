/**
 * The coded errors of the conference mixer. They cross the worker boundary as
 * `{ code, message }` and are rebuilt as MixerError on the main thread, so a caller (or a
 * log reader) sees `E_MIXER_PORTS_EXHAUSTED`, never a worker stack trace.
 */
export type MixerErrorCode =
  /** bad start options (host not an IP address, empty or inverted port range, ...) */
  | 'E_MIXER_CONFIG'
  /** a bad argument to a call: payload type other than 0/8, a remote that is not IP:port */
  | 'E_MIXER_BAD_ARGUMENT'
  /** every even port of [portMin, portMax] is in use (by us or by another process) */
  | 'E_MIXER_PORTS_EXHAUSTED'
  /** no member with this id (never added, or already removed) */
  | 'E_MIXER_UNKNOWN_MEMBER'
  /** a member with this id is already in a bridge */
  | 'E_MIXER_MEMBER_EXISTS'
  /** the mixer was closed (or is closing) */
  | 'E_MIXER_CLOSED'
  /** the worker thread failed to start, crashed or exited */
  | 'E_MIXER_WORKER';

const CODES: ReadonlySet<string> = new Set<MixerErrorCode>([
  'E_MIXER_CONFIG', 'E_MIXER_BAD_ARGUMENT', 'E_MIXER_PORTS_EXHAUSTED', 'E_MIXER_UNKNOWN_MEMBER',
  'E_MIXER_MEMBER_EXISTS', 'E_MIXER_CLOSED', 'E_MIXER_WORKER',
]);

export class MixerError extends Error {
  override readonly name = 'MixerError';

  constructor(
    readonly code: MixerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What crosses the worker boundary (structured clone drops the class). */
export interface SerializedMixerError {
  code: MixerErrorCode;
  message: string;
}

export function serializeError(err: unknown): SerializedMixerError {
  if (err instanceof MixerError) return { code: err.code, message: err.message };
  // Anything else is a bug in the worker, not a caller's mistake: keep its message.
  return { code: 'E_MIXER_WORKER', message: err instanceof Error ? err.message : String(err) };
}

export function deserializeError(e: SerializedMixerError): MixerError {
  return new MixerError(CODES.has(e.code) ? e.code : 'E_MIXER_WORKER', e.message);
}
