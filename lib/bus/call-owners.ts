import type { Logger } from 'winston';
import { ApiError, defineErrors } from '../api';
import { callHangup, HANGUP_TIMEOUT_MS } from './call-ops';
import { BusError, type RequestBus } from './request-bus';

/** What a REST client sees when the owner of a call cannot act on it (README "Several instances"). */
export const ownerErrors = defineErrors({
  E_CALL_NOT_FOUND: { status: 404, sipStatus: 481, message: 'no such call' },
  E_CALLS_SPLIT: { status: 409, message: 'the calls live on different instances' },
  E_OWNER_FAILED: { status: 502, message: 'the instance that owns the call could not run the request' },
  E_OWNER_UNAVAILABLE: { status: 503, message: 'the instance that owns the call does not answer; try again' },
});

/** Where a call lives, as one instance sees it. */
export type Whereabouts =
  | { at: 'here' }
  /** no live call of that id anywhere (or a record of ours with no call: it is ending) */
  | { at: 'nowhere' }
  | { at: 'owner'; owner: string; tenant: string }
  /** its owner is not running: the call ended with it */
  | { at: 'gone'; owner: string; tenant: string };

export interface CallOwnersDeps {
  bus: RequestBus;
  /** whether this instance has the live call */
  local(id: string): boolean;
  /** BYE/CANCEL on both legs of a call of this instance; false when it has none */
  hangupLocal(id: string): boolean;
  /** the shared record of a call (lib/store CallRepository) */
  record(id: string): Promise<{ instanceId: string; tenant: string } | null>;
  /** drops the record of a call whose owner is gone */
  forget(id: string): Promise<unknown>;
  logger: Logger;
  hangupTimeoutMs?: number;
}

/**
 * Calls and their owners: an operation on a call is run by the instance that holds its
 * dialogs (it serves `call.hangup` for the others), and the others ask it over the bus.
 */
export class CallOwners {
  constructor(private readonly deps: CallOwnersDeps) {
    deps.bus.serve(callHangup, ({ callId }) => ({ found: deps.hangupLocal(callId) }));
  }

  get bus(): RequestBus {
    return this.deps.bus;
  }

  async where(id: string): Promise<Whereabouts> {
    if (this.deps.local(id)) return { at: 'here' };
    const r = await this.deps.record(id);
    if (!r || r.instanceId === this.deps.bus.instanceId) return { at: 'nowhere' };
    if (await this.deps.bus.alive(r.instanceId)) return { at: 'owner', owner: r.instanceId, tenant: r.tenant };
    this.deps.forget(id).catch((err: Error) => this.deps.logger.warn('record of a call of a gone instance not removed', { callId: id, error: err.message }));
    return { at: 'gone', owner: r.instanceId, tenant: r.tenant };
  }

  /**
   * Hangs up a call wherever it lives. False: no such call (or its instance is gone, and
   * the call with it). Throws an ApiError 503 when its owner runs but does not answer.
   */
  async hangup(id: string): Promise<boolean> {
    const w = await this.where(id);
    if (w.at === 'here') return this.deps.hangupLocal(id);
    if (w.at !== 'owner') return false;
    try {
      const { found } = await this.deps.bus.request(w.owner, callHangup, { callId: id }, { timeoutMs: this.deps.hangupTimeoutMs ?? HANGUP_TIMEOUT_MS });
      return found;
    } catch (err) {
      if (err instanceof BusError && err.code === 'E_OWNER_GONE') return false;
      throw toOwnerApiError(err, id);
    }
  }
}

/** A failed request to the owner of call `id`, as the REST client sees it. */
export function toOwnerApiError(err: unknown, id: string): ApiError {
  return ownerApiError(err, `call ${id}`, () => ownerErrors.E_CALL_NOT_FOUND(`no call ${id}: its instance is gone`));
}

/**
 * What a REST client sees when an owner instance did not run a request about `subject`
 * ("call <id>", "conference <id>"): the owner's own 4xx/5xx as it gave it, `gone()` when
 * the owner is no longer running, 503 or 502 otherwise.
 */
export function ownerApiError(err: unknown, subject: string, gone: () => ApiError): ApiError {
  if (!(err instanceof BusError)) return ownerErrors.E_OWNER_FAILED((err as Error).message);
  switch (err.code) {
    case 'E_OWNER_GONE': return gone();
    case 'E_OWNER_UNAVAILABLE': return ownerErrors.E_OWNER_UNAVAILABLE(`${subject}: ${err.message}`);
    case 'E_BAD_REQUEST': return ownerErrors.E_OWNER_FAILED(`${subject}: the owner refused the request: ${err.message}`);
    case 'E_REMOTE': {
      const r = err.remote;
      return r?.status && r.status >= 400 ? new ApiError(r.code, r.message, r.status) : ownerErrors.E_OWNER_FAILED(`${subject}: ${err.message}`);
    }
  }
}
