/**
 * The REST API: createApi builds the fastify server (not listening), features add their
 * routes through ApiRouter and their error codes through defineErrors.
 */
export { createApi, type Api } from './create-api';
export type { HttpHandler, HttpMount, HttpMountOptions, HttpRequest, HttpResponse } from './http-mount';
export type { ApiDeps, CallsPort, HealthCheckResult, RegistrationsPort, StatsPort, TenantTokensPort, UsersPort } from './deps';
export { ApiScope, tenantFrom, type TenantSource } from './scope';
export type { ApiRouter, CallIdSource, RouteHandler, RouteOptions } from './router';
export { ApiError, defineErrors, errors, isApiError, type ErrorFactory, type ErrorSpec } from './errors';
export { toApiError } from './error-handler';
export * as apiSchemas from './schemas';
export { EventStream, type EventSink, type EventStreamOptions } from './event-stream';
export { callChangeEvent, relayedEvent, sseFrame, type LiveEvent } from './call-change';
