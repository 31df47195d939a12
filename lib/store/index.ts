/**
 * The state store: Redis processes and connections, the one module that names every key,
 * and the repositories the platform and features keep shared state in.
 */
export { startRedis, type RedisProcess, type RedisProcessOptions } from './redis-process';
export { connectRedis, isStoreUnavailable, type RedisClient, type RedisConnection, type RedisConnectOptions } from './connection';
export { redisDataCheck, redisHealthCheck, type HealthStatus } from './health';
export { channels, keys, KEYSPACE, specOf, tenantId, type KeyLifetime, type KeySpec } from './keys';
export { LuaScript } from './lua-script';
export { digestHa1, NonceCountStore, type DigestAlgorithm } from './digest';
export { UserRepository, type UserInput, type UserRecord, type DigestCredentials } from './users';
export { RegistrationRepository, type Binding, type BindingInput, type BindResult } from './registrations';
export { CallRepository, type CallRepositoryOptions } from './calls';
export type { CallParty, CallRecord, CallState, DialogSnapshot } from './call-record';
export { TenantSettings } from './tenant-settings';
export { ApiTokenRepository, type ApiTokenRecord } from './api-tokens';
