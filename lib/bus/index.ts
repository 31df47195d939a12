/**
 * The instance bus: typed requests from one feature-server instance to another (the
 * owner of a call), events to all of them, and the REST forwarding built on it.
 */
export { BusError, defineEvent, defineOp, RequestBus, type BusErrorCode, type BusEvent, type Op, type OpHandler, type RequestBusOptions, type RequestOptions } from './request-bus';
export { MAX_MESSAGE_BYTES, ProtocolError } from './protocol';
export { redisTransport, type BusTransport } from './transport';
export * as guards from './guards';
export { callHangup, restForward, FORWARD_TIMEOUT_MS, HANGUP_TIMEOUT_MS } from './call-ops';
export { CallOwners, ownerApiError, ownerErrors, toOwnerApiError, type CallOwnersDeps, type Whereabouts } from './call-owners';
export { forwardCallRoutes, forwardedHere, forwardTo, FORWARDED_BY_HEADER, type RestOwnerOptions } from './rest-owner';
export { callChanged, callChangeOf, publishCallChanges, CALL_CHANGE_KINDS, type CallChange, type CallChangeKind } from './call-events';
