import type { Logger } from 'winston';
import { defineEvent, guards, type BusEvent } from '../bus';
import { keys, type RedisClient } from '../store';

/** A source address refused for failed authentications, until `until` (ms since the epoch). */
export interface Ban {
  address: string;
  until: number;
  failures: number;
}

/**
 * A ban taken (`until` in the future) or lifted (`until` 0) on some instance: one typed
 * event on the instance bus, its body checked by the bus before it is sent and before it
 * is handed on (a malformed one is dropped there).
 */
export const banChanged = defineEvent('auth-ban', guards.obj({
  // an IPv4 or IPv6 address text
  address: guards.str({ max: 64 }),
  until: guards.int({ min: 0, max: Number.MAX_SAFE_INTEGER }),
}));
export type BanChange = typeof banChanged extends BusEvent<infer T> ? T : never;

export const BAN_TOPIC = banChanged.name;

/** What the ban list needs of the instance bus (lib/bus). */
export interface BanBus {
  publish(event: typeof banChanged, body: BanChange): Promise<void>;
  on(event: typeof banChanged, fn: (body: BanChange) => void): () => void;
}

export interface BanListOptions {
  /** how long a ban lasts */
  banMs: number;
  /** how often the in-memory view is re-read from Redis (bus events can be missed) */
  refreshMs?: number;
  logger: Logger;
}

/**
 * Temporary bans of source addresses, shared by every instance (issue #13: a flood of
 * wrong passwords must cost almost nothing). Redis holds each ban with a TTL, so it ends
 * by itself everywhere at once; each instance answers from an in-memory view, so a banned
 * source is refused before any Redis round trip. The view learns of bans and unbans over
 * the instance bus at once, and re-reads Redis every few seconds for anything missed.
 */
export class BanList {
  private readonly view = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private off: (() => void) | undefined;
  private bus: BanBus | undefined;

  constructor(private readonly redis: RedisClient, private readonly opts: BanListOptions) {}

  async start(bus?: BanBus): Promise<void> {
    this.bus = bus;
    this.off = bus?.on(banChanged, (change) => this.apply(change));
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch((err: Error) => this.opts.logger.warn('ban list refresh failed', { error: err.message })),
      this.opts.refreshMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.off?.();
  }

  /** From memory only: the hot path of every authenticated request. */
  isBanned(address: string): boolean {
    const until = this.view.get(address);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.view.delete(address);
    return false;
  }

  async ban(address: string, failures: number): Promise<Ban> {
    const ban: Ban = { address, until: Date.now() + this.opts.banMs, failures };
    this.view.set(address, ban.until);
    await this.redis.multi()
      .set(keys.authBan(address), JSON.stringify({ until: ban.until, failures }), { PX: this.opts.banMs })
      .zAdd(keys.authBans(), { score: ban.until, value: address })
      .zRemRangeByScore(keys.authBans(), '-inf', Date.now())
      .pExpireAt(keys.authBans(), ban.until)
      .exec();
    await this.bus?.publish(banChanged, { address, until: ban.until });
    return ban;
  }

  /** false when the address was not banned */
  async unban(address: string): Promise<boolean> {
    this.view.delete(address);
    const replies = await this.redis.multi()
      .del(keys.authBan(address))
      .zRem(keys.authBans(), address)
      .del(keys.authFailures(address))
      .exec();
    await this.bus?.publish(banChanged, { address, until: 0 });
    return Number(replies[0]) === 1;
  }

  /** Current bans, soonest end first (Redis is the truth: a ban key that expired is gone). */
  async list(): Promise<Ban[]> {
    const addresses = await this.redis.zRangeByScore(keys.authBans(), Date.now(), '+inf');
    if (addresses.length === 0) return [];
    const values = await this.redis.mGet(addresses.map((a) => keys.authBan(a)));
    const out: Ban[] = [];
    addresses.forEach((address, i) => {
      const v = values[i];
      if (!v) return;
      try {
        const { until, failures } = JSON.parse(v) as { until: number; failures: number };
        out.push({ address, until: Number(until), failures: Number(failures) });
      } catch {
        // not ours: ignored
      }
    });
    return out;
  }

  private async refresh(): Promise<void> {
    const bans = await this.list();
    this.view.clear();
    for (const b of bans) this.view.set(b.address, b.until);
  }

  private apply({ address, until }: BanChange): void {
    if (until > Date.now()) this.view.set(address, until);
    else this.view.delete(address);
  }
}
