import type { RedisClient } from '../../lib/store';
import { keys } from '../../lib/store';

/**
 * A user's call forwarding and do-not-disturb (issue 17 items 2 and 4; service examples
 * 2.6 CFU, 2.7 CFB, 2.8 CFNR). Targets are users of the same tenant, or numbers that
 * the tenant's outbound routes reach (the ring plan asks the `external` hook).
 */
export interface Forwarding {
  /** CFU: every call goes there, the user's phones never ring */
  unconditional?: string;
  /** CFB: where a call goes when the phones answer busy (486, 600), or the user is in do-not-disturb */
  busy?: string;
  /** CFNR: where a call goes when nobody answers within noAnswerSeconds, or no phone is reachable */
  noAnswer?: string;
  /** how long the user's phones ring before CFNR (default: NO_ANSWER_TIMEOUT) */
  noAnswerSeconds?: number;
  /**
   * CFNR overlap: after noAnswerSeconds the target rings too while the user's phones keep
   * ringing (the first to answer wins, the others get CANCEL); otherwise (the default) the
   * phones are cancelled, then the target rings
   */
  noAnswerOverlap?: boolean;
  /** do not disturb: calls are refused busy (486), or go to the busy target when there is one */
  dnd: boolean;
}

export const NO_FORWARDING: Forwarding = { dnd: false };

/** The forwarding settings in Redis: one JSON document per user. */
export class ForwardingStore {
  constructor(private readonly redis: RedisClient) {}

  async get(tenant: string, user: string): Promise<Forwarding> {
    const raw = await this.redis.get(keys.forwarding(tenant, user));
    if (!raw) return NO_FORWARDING;
    try {
      return { ...NO_FORWARDING, ...(JSON.parse(raw) as Partial<Forwarding>) };
    } catch {
      return NO_FORWARDING;
    }
  }

  async put(tenant: string, user: string, f: Forwarding): Promise<void> {
    await this.redis.set(keys.forwarding(tenant, user), JSON.stringify(f));
  }

  /** Changes some fields (a feature code); `undefined` clears one. */
  async update(tenant: string, user: string, change: Partial<Forwarding>): Promise<Forwarding> {
    const next: Forwarding = { ...(await this.get(tenant, user)), ...change };
    for (const k of Object.keys(next) as Array<keyof Forwarding>) if (next[k] === undefined) delete next[k];
    await this.put(tenant, user, next);
    return next;
  }

  async delete(tenant: string, user: string): Promise<boolean> {
    return (await this.redis.del(keys.forwarding(tenant, user))) > 0;
  }
}
