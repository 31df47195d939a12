import type { RedisClient } from './connection';
import { digestHa1 } from './digest';
import { keys, tenantId } from './keys';
import { LuaScript } from './lua-script';

/** What an operator provisions for a user (the REST body, minus validation). */
export interface UserInput {
  password: string;
  displayName?: string;
  /** call groups whose ringing calls this user may pick up with *8 (Asterisk `pickupgroup`) */
  pickupGroups?: string[];
  /** groups this user's phone belongs to, so others can pick up its calls (Asterisk `callgroup`) */
  callGroups?: string[];
  /** reject calls with a withheld caller id (RFC 3323 privacy) */
  anonymousCallRejection?: boolean;
  /**
   * who else may watch this user's calls (SUBSCRIBE Event: dialog, RFC 4235): user names
   * of the tenant, or '*' for everyone in it; the user and the pickup groups that can
   * pick up its calls may always
   */
  dialogWatchers?: string[];
}

/** A user as the platform sees it; never carries the password or its hash. */
export interface UserRecord {
  tenant: string;
  user: string;
  displayName?: string;
  pickupGroups: string[];
  callGroups: string[];
  anonymousCallRejection: boolean;
  dialogWatchers: string[];
  /** ms since the epoch */
  createdAt: number;
  updatedAt: number;
}

/**
 * What the registrar needs to verify a digest response (RFC 7616 3.4.1): the realm the
 * HA1 values were computed for, and HA1 for each algorithm it may challenge with.
 */
export interface DigestCredentials {
  realm: string;
  ha1: string;
  ha1Sha256: string;
}

type Stored = Record<string, string>;

/**
 * KEYS: the user's hash, the tenant's set of user names; ARGV: the user name, then field,
 * value pairs. Nothing when the user does not exist; else the fields set, the name kept in
 * the set as PUT keeps it, and the whole hash back (HGETALL's flat list).
 */
const UPDATE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if #ARGV > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 2)) end
redis.call('SADD', KEYS[2], ARGV[1])
return redis.call('HGETALL', KEYS[1])
`);

/** Provisioned users: one hash per user plus the tenant's set of user names. */
export class UserRepository {
  constructor(private readonly redis: RedisClient) {}

  /** Creates or replaces a user (PUT semantics: fields left out are cleared). */
  async put(tenant: string, user: string, input: UserInput): Promise<{ created: boolean; user: UserRecord }> {
    // The realm is the tenant domain, lower-cased like the key, so the registrar's
    // challenge and the stored HA1 always agree.
    const realm = tenantId(tenant);
    const key = keys.user(tenant, user);
    const now = String(Date.now());
    const fields = storedFields(realm, user, {
      ...input,
      pickupGroups: input.pickupGroups ?? [],
      callGroups: input.callGroups ?? [],
      anonymousCallRejection: input.anonymousCallRejection ?? false,
      dialogWatchers: input.dialogWatchers ?? [],
    }, now);
    // One MULTI: the hash and the tenant's set never disagree, and EXISTS inside it tells
    // created from updated without a race against a concurrent PUT.
    const replies = await this.redis.multi()
      .exists(key)
      .hDel(key, 'displayName')
      .hSet(key, fields)
      .hSetNX(key, 'createdAt', now)
      .sAdd(keys.users(tenant), user)
      .hGetAll(key)
      .exec();
    const existed = Number(replies[0]) === 1;
    return { created: !existed, user: toRecord(realm, user, replies[5] as unknown as Stored) };
  }

  /**
   * Changes the fields given and keeps the others (PATCH semantics); null when there is no
   * such user: a patch never creates one. One script, so a DELETE of the user runs wholly
   * before it (null) or wholly after it (gone), never in between to leave half a user.
   */
  async update(tenant: string, user: string, patch: Partial<UserInput>): Promise<UserRecord | null> {
    const realm = tenantId(tenant);
    const fields = storedFields(realm, user, patch, String(Date.now()));
    const raw = await UPDATE.run(this.redis, [keys.user(tenant, user), keys.users(tenant)], [user, ...Object.entries(fields).flat()]);
    if (!Array.isArray(raw)) return null;
    const stored: Stored = {};
    for (let i = 0; i + 1 < raw.length; i += 2) stored[String(raw[i])] = String(raw[i + 1]);
    return toRecord(realm, user, stored);
  }

  async get(tenant: string, user: string): Promise<UserRecord | null> {
    const stored = await this.redis.hGetAll(keys.user(tenant, user));
    return isEmpty(stored) ? null : toRecord(tenantId(tenant), user, stored);
  }

  /**
   * For the registrar only; the API never asks for this. `ha1Sha256` is empty for a user
   * stored before SHA-256 was (RFC 8760): such a user is challenged with MD5 only.
   */
  async credentials(tenant: string, user: string): Promise<DigestCredentials | null> {
    const [realm, ha1, ha1Sha256] = await this.redis.hmGet(keys.user(tenant, user), ['realm', 'ha1', 'ha1Sha256']);
    if (!realm || !ha1) return null;
    return { realm, ha1, ha1Sha256: ha1Sha256 ?? '' };
  }

  async delete(tenant: string, user: string): Promise<boolean> {
    const replies = await this.redis.multi()
      .del(keys.user(tenant, user))
      .sRem(keys.users(tenant), user)
      .exec();
    return Number(replies[0]) === 1;
  }

  /** The tenant's users, sorted by user name. */
  async list(tenant: string): Promise<UserRecord[]> {
    const names = (await this.redis.sMembers(keys.users(tenant))).sort();
    if (names.length === 0) return [];
    const pipeline = this.redis.multi();
    for (const name of names) pipeline.hGetAll(keys.user(tenant, name));
    const hashes = (await pipeline.execAsPipeline()) as unknown as Stored[];
    const t = tenantId(tenant);
    // A name without a hash cannot happen through this repository (both change in one
    // MULTI); skipping it keeps a hand-edited store from breaking the listing.
    return names.flatMap((name, i) => (isEmpty(hashes[i]) ? [] : [toRecord(t, name, hashes[i])]));
  }
}

/**
 * The hash fields for the properties given (and only those), plus updatedAt: one place
 * that knows how a user is stored, for PUT and PATCH alike. The password becomes HA1 for
 * each algorithm the registrar may challenge with (RFC 7616 3.4.2, RFC 8760) and is never
 * stored itself.
 */
function storedFields(realm: string, user: string, input: Partial<UserInput>, now: string): Stored {
  const fields: Stored = { updatedAt: now };
  if (input.password !== undefined) {
    fields.realm = realm;
    fields.ha1 = digestHa1(user, realm, input.password, 'MD5');
    fields.ha1Sha256 = digestHa1(user, realm, input.password, 'SHA-256');
  }
  if (input.displayName !== undefined) fields.displayName = input.displayName;
  if (input.pickupGroups !== undefined) fields.pickupGroups = JSON.stringify(input.pickupGroups);
  if (input.callGroups !== undefined) fields.callGroups = JSON.stringify(input.callGroups);
  if (input.anonymousCallRejection !== undefined) fields.anonymousCallRejection = input.anonymousCallRejection ? '1' : '0';
  if (input.dialogWatchers !== undefined) fields.dialogWatchers = JSON.stringify(input.dialogWatchers);
  return fields;
}

function isEmpty(h: Stored | null | undefined): boolean {
  return !h || Object.keys(h).length === 0;
}

function toRecord(tenant: string, user: string, h: Stored): UserRecord {
  const record: UserRecord = {
    tenant,
    user,
    pickupGroups: parseList(h.pickupGroups),
    callGroups: parseList(h.callGroups),
    anonymousCallRejection: h.anonymousCallRejection === '1',
    dialogWatchers: parseList(h.dialogWatchers),
    createdAt: Number(h.createdAt),
    updatedAt: Number(h.updatedAt),
  };
  if (h.displayName !== undefined) record.displayName = h.displayName;
  return record;
}

function parseList(json: string | undefined): string[] {
  if (!json) return [];
  const v: unknown = JSON.parse(json);
  return Array.isArray(v) ? v.map(String) : [];
}
