import type { RedisClient } from './connection';
import { keys } from './keys';
import { registrationScript } from './registration-script';

/** One Contact of a REGISTER, as the registrar hands it over. */
export interface BindingInput {
  /**
   * The Contact URI. It identifies the binding, so the registrar passes the same form
   * each time (RFC 3261 10.3 step 7 compares with 19.1.4 URI equality).
   */
  contact: string;
  /** seconds; 0 removes the binding (subject to the same Call-ID/CSeq rule) */
  expires: number;
  /** where the REGISTER really came from, for NAT: 'udp:1.2.3.4:5060', 'tcp:...' */
  received?: string;
  callId: string;
  cseq: number;
  /** +sip.instance (RFC 5626) */
  instance?: string;
  userAgent?: string;
}

export interface Binding {
  contact: string;
  /** remaining seconds, rounded up, as the 200 OK to REGISTER reports it */
  expires: number;
  /** absolute expiry, ms since the epoch, on the Redis server's clock */
  expiresAt: number;
  received?: string;
  callId: string;
  cseq: number;
  instance?: string;
  userAgent?: string;
  updatedAt: number;
}

/**
 * The outcome of a binding change. `ok: false` is RFC 3261 10.3 step 6/7: a binding for
 * `contact` has the request's Call-ID with an equal or higher CSeq, so the REGISTER is
 * out of order and fails as a whole; the registrar answers `sipStatus`.
 */
export type BindResult =
  | { ok: true; bindings: Binding[] }
  | { ok: false; reason: 'out-of-order'; contact: string; sipStatus: 500 }
  | { ok: false; reason: 'too-many'; count: number; sipStatus: 403 };

/** What the hash holds: the absolute expiry only; the remaining seconds are computed on read. */
type StoredBinding = Omit<Binding, 'expires'>;

/** The location service (RFC 3261 10.3): several contacts per user, each with its expiry. */
export class RegistrationRepository {
  constructor(private readonly redis: RedisClient) {}

  /** Adds, refreshes or (expires 0) removes contacts; several at once are all-or-nothing. */
  async bind(tenant: string, user: string, input: BindingInput | BindingInput[], opts: { maxBindings?: number } = {}): Promise<BindResult> {
    const list = Array.isArray(input) ? input : [input];
    for (const b of list) checkInput(b);
    // Only the fields we know go to Redis, and undefined ones not at all.
    const payload = list.map((b) => Object.fromEntries(Object.entries({
      contact: b.contact, expires: b.expires, callId: b.callId, cseq: b.cseq,
      received: b.received, instance: b.instance, userAgent: b.userAgent,
    }).filter(([, v]) => v !== undefined)));
    return this.run(tenant, user, 'bind', payload, opts.maxBindings);
  }

  /** Removes one contact whatever its Call-ID (administrative; the registrar uses bind with expires 0). */
  async unbind(tenant: string, user: string, contact: string): Promise<Binding[]> {
    const r = await this.run(tenant, user, 'unbind', { contact });
    return r.ok ? r.bindings : [];
  }

  /**
   * Removes every contact of the user. With `request`, this is `Contact: *` (RFC 3261
   * 10.3 step 6) and refused like bind when it is out of order.
   */
  async unbindAll(tenant: string, user: string, request?: { callId: string; cseq: number }): Promise<BindResult> {
    return this.run(tenant, user, 'unbindAll', request ?? {});
  }

  /** The user's unexpired bindings, soonest expiry last. */
  async lookup(tenant: string, user: string): Promise<Binding[]> {
    const [time, hash] = await this.redis.multi()
      .time()
      .hGetAll(keys.registration(tenant, user))
      .exec();
    return live(serverNow(time), Object.values(hash as unknown as Record<string, string>));
  }

  /** Every registered user of the tenant with their unexpired bindings, by user name. */
  async list(tenant: string): Promise<Array<{ user: string; bindings: Binding[] }>> {
    const users = (await this.redis.zRange(keys.registeredUsers(tenant), 0, -1)).sort();
    if (users.length === 0) return [];
    const pipeline = this.redis.multi().time();
    for (const u of users) pipeline.hGetAll(keys.registration(tenant, u));
    const [time, ...hashes] = await pipeline.exec();
    const now = serverNow(time);
    return users
      .map((u, i) => ({ user: u, bindings: live(now, Object.values(hashes[i] as unknown as Record<string, string>)) }))
      .filter((e) => e.bindings.length > 0);
  }

  private async run(tenant: string, user: string, op: string, args: unknown, max?: number): Promise<BindResult> {
    const argv = [user, op, JSON.stringify(args), ...(max === undefined ? [] : [String(max)])];
    const reply = (await registrationScript.run(this.redis,
      [keys.registration(tenant, user), keys.registeredUsers(tenant)], argv)) as unknown[];
    const [status, now, ...rest] = reply;
    if (Number(status) === 0) return { ok: false, reason: 'out-of-order', contact: String(rest[0]), sipStatus: 500 };
    if (Number(status) === 2) return { ok: false, reason: 'too-many', count: Number(rest[0]), sipStatus: 403 };
    return { ok: true, bindings: live(Number(now), rest.map(String)) };
  }
}

function checkInput(b: BindingInput): void {
  if (!b.contact) throw new TypeError('binding without contact');
  // RFC 3261 20.19: delta-seconds up to 2**32-1; the registrar clamps to its own maximum first.
  if (!Number.isSafeInteger(b.expires) || b.expires < 0 || b.expires > 2 ** 32 - 1) throw new TypeError(`bad expires ${b.expires}`);
  // RFC 3261 8.1.1.5: CSeq is a 32-bit unsigned integer
  if (!Number.isSafeInteger(b.cseq) || b.cseq < 0 || b.cseq > 2 ** 32 - 1) throw new TypeError(`bad cseq ${b.cseq}`);
  if (!b.callId) throw new TypeError('binding without Call-ID');
}

/** TIME replies [seconds, microseconds] as strings. */
function serverNow(time: unknown): number {
  const [s, us] = time as [string, string];
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

function live(now: number, values: string[]): Binding[] {
  return values
    .map((v) => JSON.parse(v) as StoredBinding)
    .filter((b) => b.expiresAt > now)
    .map((b) => ({ ...b, expires: Math.ceil((b.expiresAt - now) / 1000) }))
    .sort((a, b) => b.expiresAt - a.expiresAt || a.contact.localeCompare(b.contact));
}
