import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { ApiRouter } from './api';
import type { CallManager } from './calls';
import type { Config } from './config';
import type { MediaAnchor } from './media';
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

export interface FeatureCode {
  /** matched against the dialed user part, e.g. /^\*43$/ */
  pattern: RegExp;
  handle(ctx: FeatureCallContext): Promise<void> | void;
}

/** Everything a feature may use, injected at start (DESIGN: no globals). */
export interface FeatureContext {
  logger: Logger;
  redis: RedisClient;
  media: MediaAnchor;
  calls: CallManager;
  srf: Srf;
  config: Config;
}

/**
 * A feature module (DESIGN "A feature module"): registered in one list in
 * lib/server.ts, started in order, stopped in reverse.
 */
export interface Feature {
  name: string;
  codes?: FeatureCode[];
  routes?(api: ApiRouter): void;
  start(ctx: FeatureContext): Promise<void> | void;
  stop?(): Promise<void> | void;
}
