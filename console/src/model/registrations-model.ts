import { formatDuration } from './format';

/** GET /v1/tenants/{domain}/registrations. */
export interface RegistrationsView {
  registrations: Array<{
    user: string;
    bindings: Array<{ contact: string; expiresAt: string; received?: string; userAgent?: string }>;
  }>;
}

export interface RegistrationRow {
  key: string;
  user: string;
  contact: string;
  /** time left until the binding expires, `m:ss` */
  expiresIn: string;
  received: string;
  userAgent: string;
}

/**
 * The listing is fetched again on `registration.changed` (a REGISTER bound or removed
 * phones), no sooner than REGISTRATIONS_MIN_GAP_MS after the last fetch (a tenant's phones
 * refresh all the time), and every REGISTRATIONS_REFRESH_MS for bindings that simply
 * expire, which no event tells.
 */
export const REGISTRATIONS_TOPICS = ['registration.changed'] as const;
export const REGISTRATIONS_MIN_GAP_MS = 2_000;
export const REGISTRATIONS_REFRESH_MS = 30_000;

/** Bindings the table shows at most. */
export const MAX_REGISTRATION_ROWS = 500;

/** One row per binding, users in order; `truncated` when there were more than the table shows. */
export function registrationRows(list: RegistrationsView | undefined, now: number): { rows: RegistrationRow[]; total: number; truncated: boolean } {
  const all: RegistrationRow[] = [];
  for (const r of [...(list?.registrations ?? [])].sort((a, b) => a.user.localeCompare(b.user))) {
    for (const b of r.bindings) {
      all.push({
        key: `${r.user} ${b.contact}`, user: r.user, contact: b.contact, expiresIn: formatDuration(Date.parse(b.expiresAt) - now),
        received: b.received ?? '', userAgent: b.userAgent ?? '',
      });
    }
  }
  return { rows: all.slice(0, MAX_REGISTRATION_ROWS), total: all.length, truncated: all.length > MAX_REGISTRATION_ROWS };
}
