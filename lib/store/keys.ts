/**
 * THE Redis keyspace. Every key the platform or a feature reads or writes is named here
 * and nowhere else, so one file shows what lives in Redis, who owns it and how it goes
 * away (DESIGN "Calls and state": every key has a TTL or an owner that deletes it).
 *
 * Keys carry the tenant (the SIP domain) as their second segment: `user:{tenant}:{user}`.
 * Tenants are DNS names, which compare case-insensitively (RFC 4343), so the tenant is
 * lower-cased here once and every repository gets the same key for `Example.COM` and
 * `example.com`. User parts are case-sensitive (RFC 3261 19.1.4) and kept as given.
 *
 * A feature that needs a new key adds one small function here and a line to `KEYSPACE`
 * (the keyspace test fails on any key that matches no line).
 *
 * These are plain keys, not Redis Cluster hash tags: the platform runs against one
 * primary (with Sentinel for fail-over), where MULTI and Lua may touch several keys.
 */

/** How a key goes away: a TTL that Redis enforces, or an owner that deletes it. */
export type KeyLifetime = 'ttl' | 'owner';

export interface KeySpec {
  /** glob pattern as SCAN MATCH understands it */
  pattern: string;
  lifetime: KeyLifetime;
  /** Redis type */
  type: 'string' | 'hash' | 'set' | 'zset';
  /** who writes it and what it holds */
  doc: string;
}

/** The tenant as it appears in keys: lower-cased, and never able to forge another key. */
export function tenantId(tenant: string): string {
  const t = tenant.toLowerCase();
  // A ':' would let one tenant's keys collide with another's; '*', '?', '[' would turn
  // a SCAN pattern built from the tenant into a wildcard.
  if (!t || /[:*?[\]\s]/.test(t)) throw new TypeError(`invalid tenant for a Redis key: ${JSON.stringify(tenant)}`);
  return t;
}

/** The last segment of a key (user, slot, group, id): anything but empty. */
function part(kind: string, value: string): string {
  if (!value) throw new TypeError(`empty ${kind} in a Redis key`);
  return value;
}

export const keys = {
  /** hash: tenant settings (feature codes, realm overrides); owner: tenant provisioning */
  tenant: (tenant: string): string => `tenant:${tenantId(tenant)}`,

  /**
   * string: the secret digest nonces are signed with, shared so any instance verifies a
   * nonce another issued; owner: the platform (created once with SET NX, never expires;
   * rotating it costs each phone one round trip: the right password on a nonce of the old
   * secret gets stale=true)
   */
  nonceSecret: (): string => 'digest:nonce-secret',

  /**
   * string: written once (SET NX) by the first server to use this Redis and never
   * deleted; a server that finds it gone knows Redis lost its data (a restart without
   * persistence) and says so on /health
   */
  dataMarker: (): string => 'store:data-marker',

  /**
   * string: one used digest nonce-count (`-` for credentials without qop, whose nonce is
   * single use); TTL = what is left of the nonce's lifetime plus one lifetime (RFC 7616 3.4.5)
   */
  digestNonceCount: (nonce: string, nc: string): string => `digestnc:${part('nonce', nonce)}:${part('nc', nc)}`,

  /** string: failed digest authentications from one source address in the current window; TTL = the window */
  authFailures: (address: string): string => `authfail:${part('address', address)}`,
  /** string: a banned source address (JSON {until, failures}); TTL = the ban */
  authBan: (address: string): string => `ban:${part('address', address)}`,
  /** zset: banned addresses scored by the ban's end (ms), for listing; TTL = the latest ban */
  authBans: (): string => 'bans',

  /** hash: one provisioned user (credentials as HA1, services); owner: UserRepository.delete */
  user: (tenant: string, user: string): string => `user:${tenantId(tenant)}:${part('user', user)}`,
  /** set: the user names of a tenant; owner: UserRepository (empty sets vanish) */
  users: (tenant: string): string => `users:${tenantId(tenant)}`,

  /** hash: contact URI -> binding JSON (RFC 3261 10.3); TTL = the latest binding's expiry */
  registration: (tenant: string, user: string): string => `reg:${tenantId(tenant)}:${part('user', user)}`,
  /** zset: users of a tenant with bindings, scored by their key's expiry (ms); TTL = the latest score */
  registeredUsers: (tenant: string): string => `regs:${tenantId(tenant)}`,

  /** string: CallRecord JSON; TTL safety net (24 h) in case the owning instance dies */
  call: (id: string): string => `call:${part('call id', id)}`,
  /** set: ids of live calls; TTL pushed forward on every save, stale ids pruned on list */
  calls: (): string => 'calls',

  /** string: the call parked in a slot (`701`); TTL = park timeout. Taken with SET NX. */
  parkSlot: (tenant: string, slot: string): string => `park:${tenantId(tenant)}:${part('slot', slot)}`,
  /** set: slot keys of the calls an instance parked (its survivors take them over if it dies); TTL = the longest slot's */
  parkedOn: (instanceId: string): string => `parkedon:${part('instance id', instanceId)}`,
  /** set: instances that have parked calls; TTL = the longest slot's */
  parkOwners: (): string => 'parkowners',

  /** zset: call ids ringing a member of a call group, scored by ring start; TTL = ring timeout */
  pickupGroupRinging: (tenant: string, group: string): string => `pickup:${tenantId(tenant)}:${part('group', group)}`,
  /** zset: every call ringing in a tenant, scored by ring start; TTL = ring timeout */
  ringingCalls: (tenant: string): string => `ringing:${tenantId(tenant)}`,
  /** hash: one ringing call as pickup sees it (callee, caller, groups, owner); deleting it is the claim */
  ringingCall: (tenant: string, id: string): string => `ringcall:${tenantId(tenant)}:${part('call id', id)}`,
  /** string: a tenant's pickup codes (JSON); owner: PUT /v1/tenants/{t}/pickup */
  pickupSettings: (tenant: string): string => `pickupcfg:${tenantId(tenant)}`,

  /** string: a tenant's conference settings (JSON: merge code, host policy, bridge); owner: PUT /v1/tenants/{t}/conference */
  conferenceSettings: (tenant: string): string => `confcfg:${tenantId(tenant)}`,
  /** hash: one conference (owner instance, host, members as JSON); owner deletes it at the end, 24 h TTL safety net */
  conference: (tenant: string, name: string): string => `conf:${tenantId(tenant)}:${part('conference', name)}`,
  /** set: the keys of live conferences, every instance's (GET /v1/conferences); TTL pushed forward on every save, stale keys pruned on list */
  conferences: (): string => 'confs',
  /** set: call ids in a conference; same TTL as the conference */
  conferenceMembers: (tenant: string, name: string): string => `confmembers:${tenantId(tenant)}:${part('conference', name)}`,

  /** string: a tenant's park lot (JSON: extension, slots, timeouts); owner: PUT/DELETE /v1/tenants/{t}/park */
  parkLot: (tenant: string): string => `parklot:${tenantId(tenant)}`,

  /** string: a tenant REST token's record (JSON: id, tenant, createdAt), keyed by the token's SHA-256; owner: DELETE /v1/tenants/{t}/tokens/{id} */
  apiToken: (hash: string): string => `apitoken:${part('token hash', hash)}`,
  /** hash: token id -> {hash, createdAt} of a tenant's REST tokens; owner: DELETE /v1/tenants/{t}/tokens/{id} */
  apiTokens: (tenant: string): string => `apitokens:${tenantId(tenant)}`,

  /** string: a tenant's music-on-hold settings (JSON: classes, default, per-user class); owner: PUT/DELETE /v1/tenants/{t}/moh */
  moh: (tenant: string): string => `moh:${tenantId(tenant)}`,

  /** string: a user's call forwarding and do-not-disturb (JSON); owner: PUT/DELETE /v1/tenants/{t}/users/{u}/forwarding, feature codes */
  forwarding: (tenant: string, user: string): string => `fwd:${tenantId(tenant)}:${part('user', user)}`,
  /** string: a tenant's outbound routes (JSON: patterns, gateways, trunk credentials); owner: PUT/DELETE /v1/tenants/{t}/routes */
  outboundRoutes: (tenant: string): string => `outroutes:${tenantId(tenant)}`,
  /** string: a user's find-me locations (JSON: ordered steps of users with ring times); owner: PUT/DELETE /v1/tenants/{t}/users/{u}/findme */
  findMe: (tenant: string, user: string): string => `findme:${tenantId(tenant)}:${part('user', user)}`,
  /** string: a user's screening lists (JSON: incoming callers, outgoing destinations); owner: PUT/DELETE /v1/tenants/{t}/users/{u}/screening */
  screening: (tenant: string, user: string): string => `screen:${tenantId(tenant)}:${part('user', user)}`,
  /** string: a tenant's outgoing screening (JSON: blocked destinations); owner: PUT/DELETE /v1/tenants/{t}/screening */
  tenantScreening: (tenant: string): string => `screentenant:${tenantId(tenant)}`,

  /** hash: a presentity's publications, SIP-ETag -> JSON {body, expiresAt} (RFC 3903); TTL = the latest publication's expiry */
  presence: (tenant: string, user: string): string => `presence:${tenantId(tenant)}:${part('user', user)}`,
  /**
   * hash: a user's XCAP document {etag, body} (RFC 4825: resource-lists, pres-rules); owner:
   * the user, through XCAP PUT/DELETE. The user part (case-sensitive) comes last, after
   * segments that cannot hold ':', so no two documents share a key.
   */
  xcapDocument: (tenant: string, user: string, auid: string, document: string): string => {
    if (auid.includes(':') || document.includes(':')) throw new TypeError('invalid XCAP document key part');
    return `xcap:${tenantId(tenant)}:${part('auid', auid)}:${part('document', document)}:${part('user', user)}`;
  },
} as const;

/** Redis pub/sub channels (not keys: they hold nothing), named here with the keys. */
export const channels = {
  /** requests to one instance, and the replies to its own requests */
  instance: (instanceId: string): string => `bus:instance:${part('instance id', instanceId)}`,
  /** events every instance hears (BLF of park slots) */
  broadcast: (): string => 'bus:all',
} as const;

/** Every key pattern with its lifetime: documentation the keyspace test enforces. */
export const KEYSPACE: readonly KeySpec[] = [
  { pattern: 'tenant:*', lifetime: 'owner', type: 'hash', doc: 'tenant settings; deleted with the tenant' },
  { pattern: 'store:data-marker', lifetime: 'owner', type: 'string', doc: 'proof that Redis kept its data (see /health); never deleted' },
  { pattern: 'digest:nonce-secret', lifetime: 'owner', type: 'string', doc: 'digest nonce signing secret, shared by all instances' },
  { pattern: 'digestnc:*', lifetime: 'ttl', type: 'string', doc: 'a used digest nonce-count (replay guard)' },
  { pattern: 'authfail:*', lifetime: 'ttl', type: 'string', doc: 'failed authentications of a source address in the window' },
  { pattern: 'ban:*', lifetime: 'ttl', type: 'string', doc: 'a source address banned for failed authentications' },
  { pattern: 'bans', lifetime: 'ttl', type: 'zset', doc: 'banned addresses by the end of their ban' },
  { pattern: 'user:*', lifetime: 'owner', type: 'hash', doc: 'provisioned user; deleted by the API' },
  { pattern: 'users:*', lifetime: 'owner', type: 'set', doc: "a tenant's user names; emptied by deletes" },
  { pattern: 'reg:*', lifetime: 'ttl', type: 'hash', doc: "a user's contact bindings" },
  { pattern: 'regs:*', lifetime: 'ttl', type: 'zset', doc: "a tenant's registered users" },
  { pattern: 'call:*', lifetime: 'ttl', type: 'string', doc: 'live call state (24 h safety net)' },
  { pattern: 'calls', lifetime: 'ttl', type: 'set', doc: 'ids of live calls' },
  { pattern: 'park:*', lifetime: 'ttl', type: 'string', doc: 'a taken park slot' },
  { pattern: 'parkedon:*', lifetime: 'ttl', type: 'set', doc: "the slots an instance's parked calls are in" },
  { pattern: 'parkowners', lifetime: 'ttl', type: 'set', doc: 'instances with parked calls' },
  { pattern: 'pickup:*', lifetime: 'ttl', type: 'zset', doc: 'calls ringing in a call group' },
  { pattern: 'ringing:*', lifetime: 'ttl', type: 'zset', doc: 'calls ringing in a tenant' },
  { pattern: 'ringcall:*', lifetime: 'ttl', type: 'hash', doc: 'a ringing call, until answered, picked up or ended' },
  { pattern: 'pickupcfg:*', lifetime: 'owner', type: 'string', doc: 'pickup codes of a tenant; set by the API' },
  { pattern: 'conf:*', lifetime: 'ttl', type: 'hash', doc: 'a conference' },
  { pattern: 'confs', lifetime: 'ttl', type: 'set', doc: 'keys of live conferences' },
  { pattern: 'confcfg:*', lifetime: 'owner', type: 'string', doc: 'conference settings of a tenant; set by the API' },
  { pattern: 'confmembers:*', lifetime: 'ttl', type: 'set', doc: "a conference's calls" },
  { pattern: 'parklot:*', lifetime: 'owner', type: 'string', doc: 'park lot settings of a tenant; deleted by the API' },
  { pattern: 'apitoken:*', lifetime: 'owner', type: 'string', doc: 'a tenant REST token (by its hash); revoked by the API' },
  { pattern: 'apitokens:*', lifetime: 'owner', type: 'hash', doc: "a tenant's REST token ids; revoked by the API" },
  { pattern: 'moh:*', lifetime: 'owner', type: 'string', doc: 'music-on-hold settings of a tenant; deleted by the API' },
  { pattern: 'fwd:*', lifetime: 'owner', type: 'string', doc: "a user's call forwarding and do-not-disturb; deleted by the API" },
  { pattern: 'outroutes:*', lifetime: 'owner', type: 'string', doc: "a tenant's outbound routes; deleted by the API" },
  { pattern: 'findme:*', lifetime: 'owner', type: 'string', doc: "a user's find-me locations; deleted by the API" },
  { pattern: 'screen:*', lifetime: 'owner', type: 'string', doc: "a user's screening lists; deleted by the API" },
  { pattern: 'presence:*', lifetime: 'ttl', type: 'hash', doc: "a presentity's PUBLISHed documents by SIP-ETag" },
  { pattern: 'xcap:*', lifetime: 'owner', type: 'hash', doc: "a user's XCAP document (pres-rules, resource-lists); deleted by the user over XCAP" },
  { pattern: 'screentenant:*', lifetime: 'owner', type: 'string', doc: "a tenant's outgoing screening; deleted by the API" },
];

/** The spec a concrete key falls under, or undefined for a key nobody declared. */
export function specOf(key: string): KeySpec | undefined {
  // Longest pattern first, so `confmembers:*` is not mistaken for something shorter.
  const sorted = [...KEYSPACE].sort((a, b) => b.pattern.length - a.pattern.length);
  return sorted.find((s) => (s.pattern.endsWith('*') ? key.startsWith(s.pattern.slice(0, -1)) : key === s.pattern));
}
