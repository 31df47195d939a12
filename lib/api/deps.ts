import type { Registry } from 'prom-client';
import type { Logger } from 'winston';
import type { StatsSample } from '../metrics';
import type { ApiTokenRepository, CallRecord, RegistrationRepository, UserRepository } from '../store';

/** One health check: ok, or not and why. */
export type HealthCheckResult = { ok: boolean; detail?: string };

/** What the API needs of the users store (a fake in tests, UserRepository in production). */
export type UsersPort = Pick<UserRepository, 'put' | 'update' | 'get' | 'delete' | 'list'>;

/** What the API needs of the location service. */
export type RegistrationsPort = Pick<RegistrationRepository, 'list' | 'unbindAll'>;

/**
 * Tenant REST tokens (ApiTokenRepository in production): resolving a presented token for
 * the bearer hook, and the operator's management routes.
 */
export type TenantTokensPort = Pick<ApiTokenRepository, 'resolve' | 'create' | 'list' | 'revoke'>;

/** Live calls, as the call model exposes them: hanging up is its job, not the store's. */
export interface CallsPort {
  list(): Promise<CallRecord[]>;
  get(id: string): Promise<CallRecord | null>;
  /** false when there is no such call; an ApiError (503) when the instance that owns it does not answer */
  hangup(id: string): Promise<boolean>;
}

/** The last hour of this instance's metrics (lib/metrics StatsHistory), for GET /v1/stats/history. */
export interface StatsPort {
  instanceId: string;
  /** one sample per this many ms */
  intervalMs: number;
  /** closed samples oldest first, then the one under way */
  history(): Promise<StatsSample[]>;
}

export interface ApiDeps {
  logger: Logger;
  /** the operator's bearer token: every /v1 route, every tenant */
  token: string;
  /** tenant tokens: each reaches only its tenant's routes */
  tenantTokens: TenantTokensPort;
  /** named checks run by GET /health; any not ok makes it 503 */
  health: () => Promise<Record<string, HealthCheckResult>>;
  users: UsersPort;
  registrations: RegistrationsPort;
  calls: CallsPort;
  /** after DELETE of a user: what the features keep for it (forwarding, screening, documents) goes too */
  userDeleted?: (tenant: string, user: string) => Promise<void>;
  /** served as GET /metrics (none: no such route) */
  metrics?: Registry;
  /** served as GET /v1/stats/history (none: no such route) */
  stats?: StatsPort;
  /** how long GET /health waits for the checks before calling them failed (default 2000 ms) */
  healthTimeoutMs?: number;
  /** the built operator console (dist/console), served at /console; none: no console */
  consoleDir?: string;
  /** largest request body accepted (default 64 KiB: provisioning bodies are small) */
  bodyLimit?: number;
}
