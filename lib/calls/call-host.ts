import type Srf from 'drachtio-srf';
import type { MediaAnchor } from '../media';
import type { Call, CallListener, Side } from './call';
import type { OutboundFork } from './outbound-fork';
import type { OfferInterceptor } from './reinvite-relay';

/** A call whose caller is still waiting for an answer: its INVITE, and the fork ringing now. */
export interface Unanswered {
  req: Srf.SrfRequest;
  res: Srf.SrfResponse;
  /** the fork of the ring step ringing now */
  fork: OutboundFork;
  /** the caller's SDP offer */
  offer: string;
  /** answered by a branch or taken by a pickup: nobody else may answer the caller */
  taken: boolean;
}

/**
 * What the call manager lends the pieces split out of it (party wiring, pickup of a
 * ringing call): its resources and the steps of a call's life, never its maps.
 */
export interface CallHost {
  readonly srf: Srf;
  readonly media: MediaAnchor;
  readonly listeners: readonly CallListener[];
  readonly interceptors: readonly OfferInterceptor[];
  unanswered(id: string): Unanswered | undefined;
  /** a party's dialog joins the call; false when the call is over (see CallManager.join) */
  join(call: Call, side: Side, d: Srf.Dialog): boolean;
  persist(call: Call): Promise<void>;
  emit(fn: (l: CallListener) => void): void;
  /** stored and announced: a change of a live call (hold, resume) */
  changed(call: Call, notify: (l: CallListener) => void): void;
  end(call: Call, reason: string): Promise<void>;
}
