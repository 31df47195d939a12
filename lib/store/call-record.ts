/** One side of a B2BUA call: the SIP dialog toward that party. */
export interface CallParty {
  user: string;
  tenant: string;
  /** the SIP Call-ID of this leg's dialog */
  callId: string;
  /** this party's tag in the dialog (From tag for the caller, To tag for the callee) */
  tag: string;
  uri: string;
}

export type CallState = 'ringing' | 'answered' | 'ended';

/**
 * A live call as every instance sees it. The owning instance (instanceId) writes it; the
 * others read it to answer the API or to pick up, park or join the call.
 */
export interface CallRecord {
  id: string;
  tenant: string;
  state: CallState;
  caller: CallParty;
  callee: CallParty;
  /** the rtpengine call-id anchoring this call's media */
  mediaCallId: string;
  /** ms since the epoch */
  createdAt: number;
  answeredAt?: number;
  /** which feature-server process owns the legs */
  instanceId: string;
  /** which parties have put the call on hold, and since when (ms) */
  held?: { caller?: number; callee?: number };
}
