import type { RedisClient } from '../store';
import { keys, TenantSettings } from '../store';
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

/** A tenant's music-on-hold settings in Redis (`moh:{tenant}`). */
export class MohSettingsStore extends TenantSettings<MohSettings> {
  constructor(redis: RedisClient) {
    super(redis, keys.moh, DEFAULT_SETTINGS);
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
