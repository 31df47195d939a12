/**
 * Validators for what arrives on the instance bus: each takes an unknown value and returns
 * it typed, or throws a GuardError naming the field. They look at characters one by one
 * (no regular expressions, so no backtracking on what another process sent) and every
 * string and array has a maximum length.
 */

export class GuardError extends Error {
  override readonly name = 'GuardError';
}

/** Returns the value typed as T, or throws GuardError; `at` names the field in the message. */
export type Guard<T> = (value: unknown, at: string) => T;

/** The type a guard returns. */
export type Guarded<G> = G extends Guard<infer T> ? T : never;

function fail(at: string, what: string): never {
  throw new GuardError(`${at} ${what}`);
}

/** Which characters a string may hold. */
export type Charset = 'printable' | 'token' | 'any';

/** printable: visible US-ASCII (0x21..0x7e); token: letters, digits, '.', '-', '_', '~'. */
export function inCharset(s: string, charset: Charset): boolean {
  if (charset === 'any') return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
    if (charset === 'token') {
      const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
      if (!alnum && c !== 0x2e && c !== 0x2d && c !== 0x5f && c !== 0x7e) return false;
    }
  }
  return true;
}

export function str(opts: { min?: number; max: number; charset?: Charset }): Guard<string> {
  const min = opts.min ?? 1;
  const charset = opts.charset ?? 'printable';
  return (v, at) => {
    if (typeof v !== 'string') return fail(at, 'must be a string');
    if (v.length < min || v.length > opts.max) return fail(at, `must have ${min}..${opts.max} characters`);
    if (!inCharset(v, charset)) return fail(at, `has characters outside the ${charset} set`);
    return v;
  };
}

export function int(opts: { min: number; max: number }): Guard<number> {
  return (v, at) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return fail(at, 'must be an integer');
    if (v < opts.min || v > opts.max) return fail(at, `must be in ${opts.min}..${opts.max}`);
    return v;
  };
}

export const bool: Guard<boolean> = (v, at) => (typeof v === 'boolean' ? v : fail(at, 'must be a boolean'));

export function oneOf<const T extends readonly (string | number)[]>(values: T): Guard<T[number]> {
  return (v, at) => (values.includes(v as T[number]) ? (v as T[number]) : fail(at, `must be one of ${values.join(', ')}`));
}

export function arr<T>(item: Guard<T>, opts: { max: number; min?: number }): Guard<T[]> {
  return (v, at) => {
    if (!Array.isArray(v)) return fail(at, 'must be an array');
    if (v.length < (opts.min ?? 0) || v.length > opts.max) return fail(at, `must have ${opts.min ?? 0}..${opts.max} items`);
    return v.map((x, i) => item(x, `${at}[${i}]`));
  };
}

/** A field that may be absent (undefined); null is not absent. */
export interface Optional<T> {
  optional: Guard<T>;
}

export function optional<T>(g: Guard<T>): Optional<T> {
  return { optional: g };
}

type Shape = Record<string, Guard<unknown> | Optional<unknown>>;
type ShapeOf<S extends Shape> =
  { [K in keyof S as S[K] extends Optional<unknown> ? never : K]: S[K] extends Guard<infer T> ? T : never } &
  { [K in keyof S as S[K] extends Optional<unknown> ? K : never]?: S[K] extends Optional<infer T> ? T : never };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object with exactly these fields: an unknown field is an error, not ignored. */
export function obj<S extends Shape>(shape: S): Guard<ShapeOf<S>> {
  const known = new Set(Object.keys(shape));
  return (v, at) => {
    if (!isPlainObject(v)) return fail(at, 'must be an object');
    for (const k of Object.keys(v)) if (!known.has(k)) fail(at, `has unknown field '${k.slice(0, 64)}'`);
    const out: Record<string, unknown> = {};
    for (const [k, g] of Object.entries(shape)) {
      const value = v[k];
      if (typeof g === 'function') out[k] = g(value, `${at}.${k}`);
      else if (value !== undefined) out[k] = g.optional(value, `${at}.${k}`);
    }
    return out as ShapeOf<S>;
  };
}

/** null or the guarded value. */
export function nullable<T>(g: Guard<T>): Guard<T | null> {
  return (v, at) => (v === null ? null : g(v, at));
}

/** Any JSON value (already parsed, so already bounded by the envelope's size cap). */
export const json: Guard<unknown> = (v) => v;
