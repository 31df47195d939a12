/** The B2BUA call model: calls, their events, and the manager that connects and tears them down. */
export { Call, type CallListener, type CallState, type Side } from './call';
export { CallManager, type CallManagerDeps, type ConnectRequest } from './call-manager';
export { COMPLETED_ELSEWHERE, OutboundFork, type ForkBranch, type ForkTarget } from './outbound-fork';
export { answerInvite } from './answer';
export { opposite } from './call';
export { relayOffer, type OfferInterceptor } from './reinvite-relay';
export { attachMediaServer, reconnect, rejoinMediaServer, resumeOnMediaServer, type AttachOptions, type MediaServerLeg } from './third-party';
export { offerToMediaServer, openMediaSession, type OpenedSession, type SipSessionOptions } from './media-session';
export { resumeCseq, snapshotOf, type DialogSnapshot } from './dialog-snapshot';
export { modify, modifyWithRetry } from './modify';
export { awaitAck } from './ack';
export { MediaWatchdog, observeMedia, watchedCalls, type MediaSeen, type MediaSample, type WatchedCall } from './media-watchdog';
export { MediaReanchor, reanchorCall, restartAction, type MediaRestartHandler, type MediaRestartPolicy, type ReanchorReport } from './media-reanchor';
export { CallTakeover, takeoverAction, type CallTakeoverDeps, type TakeoverPolicy, type TakeoverReport } from './call-takeover';
export { rebindDialogs, type DialogRebindDeps, type RebindReport } from './dialog-rebind';
export { fixedRing, timedOutStatus, type RingNext, type RingSequence, type StepOutcome } from './ring-plan';
export { classify, UserCallPlan, type AfterOutcome, type BeforeRing, type RingLocation, type RingOutcome, type UserCallContext, type UserCallHook, type UserCallPlanDeps } from './user-call-plan';
export { diversionHeaders, type DiversionCause, type Hop } from './diversion';
