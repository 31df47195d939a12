import type Srf from 'drachtio-srf';
import type { SrfApp } from './sip/srf-app';
import type { Registry } from 'prom-client';
import type { Logger } from 'winston';
import type { ApiRouter, HttpMount } from './api';
import type { Call, CallManager, UserCallHook } from './calls';
import type { Config } from './config';
import type { EmbeddedServices, MediaAnchor } from './media';
import type { DigestAuth } from './sip/digest-auth';
import type { Replaces } from './sip/replaces';
import type { RequestBus } from './bus';
import type { RedisClient } from './store';

/** What a dialed feature code's handler gets: the INVITE, and who dialed what. */
export interface FeatureCallContext {
  req: Srf.SrfRequest;
  res: Srf.SrfResponse;
  tenant: string;
  caller: { user: string; display?: string };
  dialed: string;
  match: RegExpMatchArray;
  logger: Logger;
}

/**
 * A SIP service one instance calls on another through the engines (a retrieve or a pickup
 * of a call that lives on the other instance): matched on the Request-URI user before
 * authentication, and only for requests carrying the internal token every instance
 * shares (FeatureContext.internalToken). Never a request to this instance's own engine:
 * a drachtio-server refuses those, and what lives here is reached in this process.
 */
export interface InternalService {
  user: RegExp;
  handle(req: Srf.SrfRequest, res: Srf.SrfResponse, logger: Logger): Promise<void> | void;
}

/** An authenticated SUBSCRIBE for an event package (RFC 6665) to a user part of a tenant. */
export interface SubscribeContext {
  req: Srf.SrfRequest;
  res: Srf.SrfResponse;
  tenant: string;
  subscriber: string;
  /** the user part of the Request-URI: what is watched (a user, a park slot) */
  target: string;
  logger: Logger;
}

export interface EventPackage {
  /** the Event header's package name, e.g. 'dialog' (RFC 4235) */
  event: string;
  /** false: not a resource of this feature (another feature may have it) */
  handle(ctx: SubscribeContext): Promise<boolean> | boolean;
}

/** An authenticated PUBLISH (RFC 3903) by `publisher` for the user part of the Request-URI. */
export interface PublishContext {
  req: Srf.SrfRequest;
  res: Srf.SrfResponse;
  tenant: string;
  publisher: string;
  /** the user part of the Request-URI: whose state is published */
  target: string;
  logger: Logger;
}

/** The event state compositor of one event package (RFC 3903 4): it answers every PUBLISH of that package. */
export interface PublishHandler {
  /** the Event header's package name, e.g. 'presence' */
  event: string;
  handle(ctx: PublishContext): Promise<void> | void;
}

/**
 * An authenticated INVITE with Replaces (RFC 3891): pickup takes the ones naming a ringing
 * leg, a transfer feature the confirmed ones. False: not a dialog of this feature; when
 * no feature takes it the INVITE gets 481 (RFC 3891 3).
 */
export interface ReplacesHandler {
  handle(ctx: Omit<FeatureCallContext, 'match'>, replaces: Replaces): Promise<boolean> | boolean;
}

/** The header carrying the internal token on requests one instance sends to another. */
export const INTERNAL_TOKEN_HEADER = 'X-Internal-Token';

export interface FeatureCode {
  /** matched against the dialed user part, e.g. /^\*43$/ */
  pattern: RegExp;
  /** false: not mine after all (e.g. a number that is no park slot), route it on as a user call */
  handle(ctx: FeatureCallContext): Promise<void | boolean> | void | boolean;
}

/** Everything a feature may use, injected at start (DESIGN: no globals). */
export interface FeatureContext {
  logger: Logger;
  redis: RedisClient;
  media: MediaAnchor;
  calls: CallManager;
  srf: SrfApp;
  config: Config;
  /** proves a request came from this platform (INTERNAL_TOKEN_HEADER) */
  internalToken: string;
  /**
   * `sip:<user>@<this instance's engine address>`: where OTHER instances reach an internal
   * service of this one (InternalService); this instance never sends SIP there itself
   */
  instanceUri(user: string): string;
  /** media servers that run in this process (the embedded music server), shared by features */
  embedded: EmbeddedServices;
  /** requests to other instances (the owner of a call) and events to all of them */
  bus: RequestBus;
  /** the server's Prometheus registry (GET /metrics): a feature registers its own metrics here */
  metrics: Registry;
  /**
   * for a feature that authenticates its own protocol with the users' SIP credentials
   * (XCAP over HTTP Digest): the server's digest verifier (its shared nonce secret and
   * nonce-count store, so any instance accepts a nonce another issued) and the bans and
   * failure counting of lib/security, so a guess over HTTP counts with those over SIP
   */
  auth: { digest: DigestAuth; guard: AuthGuard };
}

/** The platform's defence against password guessing (lib/security BanList and AuthFailures). */
export interface AuthGuard {
  isBanned(address: string): boolean;
  record(address: string): Promise<unknown>;
}

/**
 * A feature module (DESIGN "A feature module"): registered in one list in
 * lib/server.ts, started in order, stopped in reverse.
 */
export interface Feature {
  name: string;
  codes?: FeatureCode[];
  services?: InternalService[];
  events?: EventPackage[];
  /** PUBLISH (RFC 3903), one compositor per event package */
  publish?: PublishHandler[];
  replaces?: ReplacesHandler;
  /** a call service: its say before a user's phones ring and after they did not answer (lib/calls/user-call-plan.ts) */
  userCalls?: UserCallHook;
  routes?(api: ApiRouter): void;
  /** bus events it publishes (each body naming its `tenant`) that GET /v1/events relays to consoles, e.g. park slot changes */
  liveTopics?: string[];
  /** its own HTTP protocol under its own prefix outside /v1, with its own authentication (XCAP) */
  http?(mount: HttpMount): void;
  /** a user was deleted (REST): drop what the feature keeps for that user, so a new user of that name starts clean */
  forgetUser?(tenant: string, user: string): Promise<void>;
  /**
   * rtpengine restarted and lost every media session (issue #14); `call` has a party the
   * feature moved to a media server (music on hold, a parked call), which the platform
   * cannot rebuild from the call alone. True when the feature rebuilt that media on the
   * new rtpengine; false when the call is not the feature's (the call is hung up if no
   * feature takes it). lib/calls/media-reanchor.ts calls it; lib/server.ts wires it.
   */
  onMediaRestart?(call: Call): Promise<boolean>;
  start(ctx: FeatureContext): Promise<void> | void;
  stop?(): Promise<void> | void;
}
