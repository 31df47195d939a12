import type { RedisClient } from '../../lib/store';
import { keys, TenantSettings } from '../../lib/store';

/** A tenant's conference settings. */
export interface ConferenceSettings {
  /** dialed by a user with two calls to merge them into a bridge */
  mergeCode: string;
  /** the host hangs up: end the conference (the service example) or let the others talk on */
  hostLeaves: 'end' | 'continue';
  /**
   * an external conference server instead of the embedded bridge: a SIP URI template,
   * `{conference}` replaced by the conference id (e.g. `sip:{conference}@conf.example.net`)
   */
  bridgeUri?: string;
}

export const DEFAULT_CONFERENCE: ConferenceSettings = { mergeCode: '*3', hostLeaves: 'end' };

export class ConferenceSettingsStore extends TenantSettings<ConferenceSettings> {
  constructor(redis: RedisClient) {
    super(redis, keys.conferenceSettings, DEFAULT_CONFERENCE);
  }
}
