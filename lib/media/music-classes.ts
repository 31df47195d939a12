import type { RedisClient } from '../store';
import { keys, LuaScript, TenantSettings } from '../store';
import type { EmbeddedServices, MediaServerTarget } from './media-service';

/**
 * Music classes, a platform service (DESIGN: lib/media holds the music source): music on
 * hold, park and anything else that plays music to a party ask here which music
 * server a tenant's class names. A tenant's music on hold: whether it is on, its classes (each an external music
 * server URI, or the embedded server playing the default music or an operator's WAV
 * file), the default class and each user's class.
 */
export interface MohClass {
  /** an external SIP music server that answers offerless INVITEs (RFC 3725 4.1) */
  uri?: string;
  /** for the embedded server: an 8 kHz mono PCM16 WAV on this host; unset: the default music */
  file?: string;
}

export interface MohSettings {
  enabled: boolean;
  defaultClass: string;
  classes: Record<string, MohClass>;
  /** user -> class */
  users: Record<string, string>;
}

export const DEFAULT_SETTINGS: MohSettings = { enabled: true, defaultClass: 'default', classes: { default: {} }, users: {} };

/**
 * Drops one user's class from the tenant's document in one step, so a settings PUT
 * racing it is never overwritten with an older copy. A document that does not parse, or
 * names no class for the user, is left as it is.
 */
const FORGET_USER = new LuaScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, doc = pcall(cjson.decode, raw)
if not ok or type(doc) ~= 'table' or type(doc.users) ~= 'table' or doc.users[ARGV[1]] == nil then return 0 end
doc.users[ARGV[1]] = nil
redis.call('SET', KEYS[1], cjson.encode(doc))
return 1
`);

/** A tenant's music-on-hold settings in Redis (`moh:{tenant}`). */
export class MohSettingsStore extends TenantSettings<MohSettings> {
  constructor(redis: RedisClient) {
    super(redis, keys.moh, DEFAULT_SETTINGS);
  }

  /** A deleted user's class choice goes with it: a new user of that name starts on the default. */
  async forgetUser(tenant: string, user: string): Promise<boolean> {
    return (await FORGET_USER.run(this.redis, [this.key(tenant)], [user])) === 1;
  }
}

/** The class a user's held callers hear, or undefined when music on hold is off. */
export function classFor(settings: MohSettings, user: string): { name: string; cls: MohClass } | undefined {
  if (!settings.enabled) return undefined;
  const name = settings.users[user] ?? settings.defaultClass;
  const cls = settings.classes[name];
  return cls ? { name, cls } : undefined;
}

/** Where music is played from: an external SIP music server or the embedded one. */
export type MusicTarget = MediaServerTarget;

/**
 * Where a class's music comes from: its external SIP music server (RFC 3725 4.1), or the
 * embedded one in this process (no SIP: see media-service.ts).
 */
export function musicTarget(cls: { name: string; cls: MohClass }, tenant: string, embedded: EmbeddedServices): MediaServerTarget {
  if (cls.cls.uri) return { kind: 'sip', uri: cls.cls.uri, headers: {} };
  if (!embedded.music) throw new Error('no embedded music server (the moh feature is not running)');
  return embedded.music.server(tenant, cls.name, cls.cls.file);
}
