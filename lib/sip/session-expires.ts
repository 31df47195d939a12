/**
 * Session timers (RFC 4028): the header values and the UAS's choice, without I/O.
 * Parsed by splitting on ';' and '=' (no regex over what the network sends); values
 * are bounded.
 */

export type Refresher = 'uac' | 'uas';

export interface SessionExpires {
  /** delta-seconds */
  expires: number;
  refresher?: Refresher;
}

/** RFC 4028 4: the largest interval taken; a longer one is shortened to it. */
export const MAX_SESSION_EXPIRES = 86400;

function deltaSeconds(v: string): number | undefined {
  const t = v.trim();
  if (t.length === 0 || t.length > 10) return undefined;
  for (const ch of t) if (ch < '0' || ch > '9') return undefined;
  return Number(t);
}

/** `Session-Expires: 1800;refresher=uac` (RFC 4028 4); undefined when absent or malformed. */
export function parseSessionExpires(value: string | undefined): SessionExpires | undefined {
  if (!value || value.length > 256) return undefined;
  const [first = '', ...params] = value.split(';');
  const expires = deltaSeconds(first);
  if (expires === undefined || expires < 1) return undefined;
  const out: SessionExpires = { expires: Math.min(expires, MAX_SESSION_EXPIRES) };
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq === -1 || p.slice(0, eq).trim().toLowerCase() !== 'refresher') continue;
    const r = p.slice(eq + 1).trim().toLowerCase();
    if (r === 'uac' || r === 'uas') out.refresher = r;
  }
  return out;
}

/** `Min-SE: 90` (RFC 4028 5); undefined when absent or malformed. */
export function parseMinSe(value: string | undefined): number | undefined {
  if (!value || value.length > 64) return undefined;
  return deltaSeconds(value.split(';')[0] ?? '');
}

/** Whether an option tag is listed in a Supported or Require value (`timer`, RFC 4028 3). */
export function hasOptionTag(value: string | undefined, tag: string): boolean {
  if (!value || value.length > 1024) return false;
  return value.split(',').some((t) => t.trim().toLowerCase() === tag);
}

export interface UasTimerPolicy {
  /** the smallest interval we take (RFC 4028 says at least 90) */
  minSe: number;
  /** the interval we ask for when the caller asks for none, or a longer one */
  expires: number;
}

export type UasTimerChoice =
  | { kind: 'reject'; minSe: number }
  | { kind: 'timer'; expires: number; refresher: Refresher; headers: Record<string, string> };

/**
 * RFC 4028 9, the UAS's answer to an INVITE: 422 with our Min-SE when the caller's
 * Session-Expires is below it; else a session timer with the caller's interval (not
 * longer than ours, not shorter than either Min-SE) and the caller's refresher if it
 * named one, else the caller if it supports timers, else us. The 2xx carries
 * Session-Expires, and `Require: timer` when the caller is to refresh.
 */
export function chooseUasTimer(h: { sessionExpires?: string; minSe?: string; supported?: string }, policy: UasTimerPolicy): UasTimerChoice {
  const asked = parseSessionExpires(h.sessionExpires);
  const theirMin = parseMinSe(h.minSe) ?? 0;
  if (asked && asked.expires < policy.minSe) return { kind: 'reject', minSe: policy.minSe };
  const floor = Math.max(policy.minSe, theirMin);
  const expires = Math.max(floor, Math.min(asked?.expires ?? policy.expires, policy.expires));
  const supports = hasOptionTag(h.supported, 'timer');
  const refresher: Refresher = asked?.refresher ?? (supports ? 'uac' : 'uas');
  const headers: Record<string, string> = { 'Session-Expires': `${expires};refresher=${refresher}` };
  if (refresher === 'uac') headers.Require = 'timer';
  return { kind: 'timer', expires, refresher, headers };
}
