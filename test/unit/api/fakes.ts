import winston from 'winston';
import { createApi, type Api, type ApiDeps, type CallsPort, type RegistrationsPort, type TenantTokensPort, type UsersPort } from '../../../lib/api';
import type { ApiTokenRecord, Binding, CallRecord, UserInput, UserRecord } from '../../../lib/store';

export const TOKEN = 'test-token-0123456789';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

/** In-memory users, keyed like the store (tenant lower-cased). */
export class FakeUsers implements UsersPort {
  readonly byKey = new Map<string, UserRecord>();
  readonly passwords = new Map<string, string>();

  async put(tenant: string, user: string, input: UserInput): Promise<{ created: boolean; user: UserRecord }> {
    const key = `${tenant.toLowerCase()}/${user}`;
    const old = this.byKey.get(key);
    const now = Date.now();
    const record: UserRecord = {
      tenant: tenant.toLowerCase(), user, pickupGroups: input.pickupGroups ?? [], callGroups: input.callGroups ?? [],
      anonymousCallRejection: input.anonymousCallRejection ?? false, dialogWatchers: input.dialogWatchers ?? [], createdAt: old?.createdAt ?? now, updatedAt: now,
      ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
    };
    this.byKey.set(key, record);
    this.passwords.set(key, input.password);
    return { created: !old, user: record };
  }

  async update(tenant: string, user: string, patch: Partial<UserInput>): Promise<UserRecord | null> {
    const key = `${tenant.toLowerCase()}/${user}`;
    const old = this.byKey.get(key);
    if (!old) return null;
    const { password, ...rest } = patch;
    const record: UserRecord = { ...old, ...rest, updatedAt: Date.now() };
    this.byKey.set(key, record);
    if (password !== undefined) this.passwords.set(key, password);
    return record;
  }

  async get(tenant: string, user: string): Promise<UserRecord | null> {
    return this.byKey.get(`${tenant.toLowerCase()}/${user}`) ?? null;
  }

  async delete(tenant: string, user: string): Promise<boolean> {
    return this.byKey.delete(`${tenant.toLowerCase()}/${user}`);
  }

  async list(tenant: string): Promise<UserRecord[]> {
    return [...this.byKey.values()].filter((u) => u.tenant === tenant.toLowerCase()).sort((a, b) => a.user.localeCompare(b.user));
  }
}

export class FakeRegistrations implements RegistrationsPort {
  readonly byTenant = new Map<string, Array<{ user: string; bindings: Binding[] }>>();
  readonly unbound: string[] = [];

  async list(tenant: string): Promise<Array<{ user: string; bindings: Binding[] }>> {
    return this.byTenant.get(tenant.toLowerCase()) ?? [];
  }

  async unbindAll(tenant: string, user: string): Promise<{ ok: true; bindings: Binding[] }> {
    this.unbound.push(`${tenant}/${user}`);
    return { ok: true, bindings: [] };
  }
}

export class FakeCalls implements CallsPort {
  readonly calls = new Map<string, CallRecord>();
  readonly hungUp: string[] = [];

  async list(): Promise<CallRecord[]> {
    return [...this.calls.values()];
  }

  async get(id: string): Promise<CallRecord | null> {
    return this.calls.get(id) ?? null;
  }

  async hangup(id: string): Promise<boolean> {
    if (!this.calls.delete(id)) return false;
    this.hungUp.push(id);
    return true;
  }
}

/** In-memory tenant tokens: token -> record, like the store's hash -> record. */
export class FakeTenantTokens implements TenantTokensPort {
  readonly byToken = new Map<string, ApiTokenRecord>();
  private next = 0;

  async create(tenant: string): Promise<{ token: string; record: ApiTokenRecord }> {
    const id = (++this.next).toString(16).padStart(16, '0');
    const record = { id, tenant: tenant.toLowerCase(), createdAt: Date.UTC(2026, 0, 1) + this.next };
    const token = `fst_test-${tenant.toLowerCase()}-${this.next}`;
    this.byToken.set(token, record);
    return { token, record };
  }

  async list(tenant: string): Promise<ApiTokenRecord[]> {
    return [...this.byToken.values()].filter((r) => r.tenant === tenant.toLowerCase());
  }

  async revoke(tenant: string, id: string): Promise<boolean> {
    for (const [token, r] of this.byToken) {
      if (r.id === id && r.tenant === tenant.toLowerCase()) return this.byToken.delete(token);
    }
    return false;
  }

  async resolve(token: string): Promise<ApiTokenRecord | null> {
    return this.byToken.get(token) ?? null;
  }
}

export function sampleCall(id: string, tenant = 'example.com'): CallRecord {
  return {
    id, tenant, state: 'answered', mediaCallId: `m-${id}`, instanceId: 'fs-1', createdAt: Date.UTC(2026, 0, 1), answeredAt: Date.UTC(2026, 0, 1, 0, 0, 5),
    caller: { user: 'alice', tenant, callId: `a-${id}`, tag: 'ta', uri: `sip:alice@${tenant}` },
    callee: { user: 'bob', tenant, callId: `b-${id}`, tag: 'tb', uri: `sip:bob@${tenant}` },
  };
}

export interface TestApi extends Api {
  users: FakeUsers;
  registrations: FakeRegistrations;
  calls: FakeCalls;
  tenantTokens: FakeTenantTokens;
}

export const silentLogger = winston.createLogger({ silent: true });

/** A fresh API over fresh fakes; `overrides` replaces any dependency. */
export async function buildApi(overrides: Partial<ApiDeps> = {}): Promise<TestApi> {
  const users = new FakeUsers();
  const registrations = new FakeRegistrations();
  const calls = new FakeCalls();
  const tenantTokens = new FakeTenantTokens();
  const api = await createApi({
    logger: silentLogger, token: TOKEN, tenantTokens, users, registrations, calls,
    health: async () => ({ redis: { ok: true } }),
    ...overrides,
  });
  return { ...api, users, registrations, calls, tenantTokens };
}
