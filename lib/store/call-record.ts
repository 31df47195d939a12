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
 * The state of one of our dialogs that another instance (or this server restarted after
 * a crash) needs to continue it once the engine that held it is gone (RFC 3261 12.1:
 * Call-ID, local and remote tag and URI, remote target, route set). lib/calls makes and
 * resumes it (dialog-snapshot.ts); it is stored with a live call and with a parked one.
 */
export interface DialogSnapshot {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** our From header for requests in the dialog, tag included */
  local: string;
  /** our To header for requests in the dialog, tag included */
  remote: string;
  /** the remote target: the far end's Contact URI */
  target: string;
  /** the route set, in the order requests carry it as Route headers */
  routes: string[];
  /** the CSeq the dialog was last resumed with (`resumeCseq`), if it ever was */
  cseq?: number;
  /** the o= line of the last SDP we sent in the dialog: a new owner goes on from it (RFC 3264 8) */
  origin?: string;
  /** the far end's last SDP in the dialog (offer or answer): its media anchored again from it after a restart */
  sdp?: string;
}

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
  /** each party's dialog while the call is answered: what a take-over continues it from (lib/calls/call-takeover.ts) */
  dialogs?: { caller?: DialogSnapshot; callee?: DialogSnapshot };
}
