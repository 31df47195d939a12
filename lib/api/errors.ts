/**
 * The catalogue of coded errors. A REST client and a log reader both see `E_NOT_FOUND`,
 * never a stack trace; a SIP handler that meets the same error answers its SIP status.
 *
 * The platform's codes are below. A feature defines its own with the same function in
 * its own folder, so it neither edits this file nor depends on another feature:
 *
 *   export const parkErrors = defineErrors({
 *     E_PARK_SLOT_TAKEN: { status: 409, sipStatus: 486, message: 'park slot taken' },
 *   });
 *   throw parkErrors.E_PARK_SLOT_TAKEN(`slot ${slot} is taken`);
 */

export interface ErrorSpec {
  /** HTTP status, 400..599 */
  status: number;
  /** the SIP final response the same condition maps to, where one does */
  sipStatus?: number;
  /** the message when the thrower gives none */
  message: string;
}

/** Every error a client sees: `{ code, message }` with `status`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly sipStatus?: number,
  ) {
    super(message);
  }

  /** What goes on the wire: never a stack, never a cause. */
  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

export type ErrorFactory = ((message?: string) => ApiError) & { readonly code: string; readonly spec: ErrorSpec };

/** Turns specs into throwable factories, checking each code and status once, at load. */
export function defineErrors<const T extends Record<string, ErrorSpec>>(specs: T): { readonly [K in keyof T]: ErrorFactory } {
  const out: Record<string, ErrorFactory> = {};
  for (const [code, spec] of Object.entries(specs)) {
    if (!/^E_[A-Z0-9_]+$/.test(code)) throw new TypeError(`error code ${code} must look like E_SOMETHING`);
    if (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599) throw new TypeError(`${code}: status ${spec.status} is not 4xx/5xx`);
    if (spec.sipStatus !== undefined && (!Number.isInteger(spec.sipStatus) || spec.sipStatus < 300 || spec.sipStatus > 699)) {
      throw new TypeError(`${code}: sipStatus ${spec.sipStatus} is not a SIP final failure status`);
    }
    const factory = (message?: string): ApiError => new ApiError(code, message ?? spec.message, spec.status, spec.sipStatus);
    out[code] = Object.assign(factory, { code, spec: Object.freeze({ ...spec }) });
  }
  return Object.freeze(out) as { readonly [K in keyof T]: ErrorFactory };
}

/** The platform's own codes. */
export const errors = defineErrors({
  E_BAD_REQUEST: { status: 400, sipStatus: 400, message: 'bad request' },
  E_UNAUTHORIZED: { status: 401, sipStatus: 401, message: 'missing or invalid bearer token' },
  E_FORBIDDEN: { status: 403, sipStatus: 403, message: 'forbidden' },
  E_FORBIDDEN_TENANT: { status: 403, message: 'this token may not act on that tenant' },
  E_OPERATOR_ONLY: { status: 403, message: 'only the operator token may use this route' },
  E_NOT_FOUND: { status: 404, sipStatus: 404, message: 'not found' },
  E_CONFLICT: { status: 409, message: 'conflict' },
  E_URI_TOO_LONG: { status: 414, sipStatus: 414, message: 'a path segment is too long' },
  E_REQUEST_TIMEOUT: { status: 408, message: 'the request did not arrive in time' },
  E_HEADERS_TOO_LARGE: { status: 431, message: 'the request line and headers are too large' },
  E_PAYLOAD_TOO_LARGE: { status: 413, sipStatus: 513, message: 'request body too large' },
  E_UNSUPPORTED_MEDIA_TYPE: { status: 415, sipStatus: 415, message: 'unsupported content type; send application/json' },
  E_INTERNAL: { status: 500, sipStatus: 500, message: 'internal error' },
  E_UNAVAILABLE: { status: 503, sipStatus: 503, message: 'service temporarily unavailable' },
});

/** True for an ApiError, or for one with the given code. */
export function isApiError(err: unknown, code?: string): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code);
}
