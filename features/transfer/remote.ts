import { randomBytes } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { RequestBus } from '../../lib/bus';
import { BusError } from '../../lib/bus';
import { opposite, type CallManager, type ForkTarget, type Side } from '../../lib/calls';
import { INTERNAL_TOKEN_HEADER } from '../../lib/feature';
import { parseAddress } from '../../lib/sip/addresses';
import type { Replaces } from '../../lib/sip/replaces';
import { respond } from '../../lib/sip/respond';
import type { CallRepository } from '../../lib/store';
import { PREPARE_TIMEOUT_MS, prepareOp, TICKET_TTL_MS, type PrepareArgs, type PrepareResult } from './bus-ops';
import { findConfirmedLeg, targetSide } from './find-leg';
import { TransferError } from './transfer-error';
import type { TransferService } from './transfer-service';

/** The internal service of a prepared transfer: `transfer~<ticket>` (a ticket is 16 base64url characters). */
export const TICKET_USER = /^transfer~([A-Za-z0-9_-]{16})$/;

export interface RemoteTransfersDeps {
  bus: RequestBus;
  calls: CallManager;
  /** the shared call records: where the owner of a call, or of a dialog, is found */
  records: Pick<CallRepository, 'get' | 'list'>;
  transfers: TransferService;
  /** `sip:<user>@<this instance's engine>`: where the others reach this one's internal services */
  instanceUri(user: string): string;
  internalToken: string;
  logger: Logger;
}

/** What the owner made ready: where to send the transferee, and who it will talk to. */
export interface Prepared {
  target: string;
  /** the fork target and headers that reach the owner's ticket (TransferService.blind `via`) */
  via: { targets: ForkTarget[]; headers: Record<string, string> };
}

interface Ticket {
  callId: string;
  /** the side of the consultation call the transferee's INVITE replaces (the transferor's) */
  side: Side;
  timer: NodeJS.Timeout;
}

/**
 * Attended transfers whose two calls live on different instances (bus-ops.ts draws the
 * exchange). Both halves are here: `prepare` and `service` run on the owner of the
 * consultation call, `ownerOfDialog`, `ownerOfCall` and `ask` on the transferee's instance.
 */
export class RemoteTransfers {
  private readonly tickets = new Map<string, Ticket>();

  constructor(private readonly deps: RemoteTransfersDeps) {}

  /** Serves transfer.prepare for the other instances; returns the undo. */
  serve(): () => void {
    return this.deps.bus.serve(prepareOp, (args) => this.prepare(args));
  }

  /** Owner: the leg to replace, checked and held by a one-time ticket for TICKET_TTL_MS. */
  prepare(a: PrepareArgs): PrepareResult {
    const { calls } = this.deps;
    let found: { id: string; replaced: Side } | undefined;
    let ambiguous = false;
    if (a.dialog) {
      const leg = findConfirmedLeg(calls, { ...a.dialog, earlyOnly: false });
      if (leg) found = { id: leg.call.id, replaced: leg.side };
    } else if (a.call) {
      const c = calls.get(a.call.id);
      const target = c && (a.call.target ?? targetSide(c, a.transferor));
      if (c && target) found = { id: c.id, replaced: opposite(target) };
      ambiguous = !!c && !target;
    }
    const call = found && calls.get(found.id);
    if (ambiguous) return { refused: 'ambiguous', status: 400, message: 'say which party of the call is the target' };
    if (!found || !call) return { refused: 'no-call', status: 481, message: 'no such call or dialog here' };
    if (call.tenant !== a.tenant) return { refused: 'other-tenant', status: 403, message: 'the call is in another tenant' };
    const refused = this.deps.transfers.refusal([call]);
    if (refused && (refused.code === 'not-answered' || refused.code === 'parked' || refused.code === 'in-progress')) {
      return { refused: refused.code, status: refused.status, message: refused.message };
    }
    const ticket = randomBytes(12).toString('base64url');
    const timer = setTimeout(() => this.tickets.delete(ticket), TICKET_TTL_MS);
    this.tickets.set(ticket, { callId: call.id, side: found.replaced, timer });
    return { uri: this.deps.instanceUri(`transfer~${ticket}`), target: call[opposite(found.replaced)].user };
  }

  /**
   * Owner: the transferee's INVITE through its instance, to a ticket. It replaces the
   * transferor's leg of the consultation call as an INVITE with Replaces would (RFC 3891
   * 3): the target is re-INVITEd to it, the transferor's leg gets its BYE.
   */
  async take(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const user = /^sips?:([^@;]{1,64})@/.exec(req.uri)?.[1] ?? '';
    const ticket = TICKET_USER.exec(user)?.[1];
    const t = ticket === undefined ? undefined : this.tickets.get(ticket);
    if (ticket !== undefined) this.tickets.delete(ticket);
    if (t) clearTimeout(t.timer);
    const call = t && this.deps.calls.get(t.callId);
    if (!t || !call || !call.is('answered')) {
      respond(res, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const newcomer = parseAddress(req.get('From'))?.user || 'unknown';
    await this.deps.transfers.replaceLeg(call, t.side, req, res, { user: newcomer, tenant: call.tenant });
  }

  /** Transferee's instance: the live instance (not this one) whose call has the dialog a Replaces names. */
  async ownerOfDialog(r: Replaces): Promise<string | undefined> {
    const me = this.deps.bus.instanceId;
    const rec = (await this.deps.records.list()).find((c) => c.instanceId !== me && c.state === 'answered'
      && [c.caller, c.callee].some((p) => p.callId === r.callId && (p.tag === r.fromTag || p.tag === r.toTag)));
    return rec && (await this.deps.bus.alive(rec.instanceId)) ? rec.instanceId : undefined;
  }

  /** Transferee's instance: the live instance (not this one) that owns call `id`, and the call's tenant. */
  async ownerOfCall(id: string): Promise<{ owner: string; tenant: string } | undefined> {
    const rec = await this.deps.records.get(id);
    if (!rec || rec.instanceId === this.deps.bus.instanceId || !(await this.deps.bus.alive(rec.instanceId))) return undefined;
    return { owner: rec.instanceId, tenant: rec.tenant };
  }

  /** Transferee's instance: asks `owner` to get the consultation call ready; a TransferError says why not. */
  async ask(owner: string, args: PrepareArgs): Promise<Prepared | TransferError> {
    let r: PrepareResult;
    try {
      r = await this.deps.bus.request(owner, prepareOp, args, { timeoutMs: PREPARE_TIMEOUT_MS });
    } catch (err) {
      const gone = err instanceof BusError && err.code === 'E_OWNER_GONE';
      this.deps.logger.warn('transfer: the owner of the other call did not prepare it', { owner, error: (err as Error).message });
      return gone ? new TransferError('no-call', 481, `the instance ${owner} of the other call is gone`)
        : new TransferError('failed', 503, `the instance ${owner} of the other call did not answer`);
    }
    if (r.refused || !r.uri || !r.target) {
      return new TransferError(r.refused ?? 'failed', r.status ?? 500, r.message ?? 'the owner of the other call refused');
    }
    return { target: r.target, via: { targets: [{ uri: r.uri }], headers: { [INTERNAL_TOKEN_HEADER]: this.deps.internalToken } } };
  }

  stop(): void {
    for (const t of this.tickets.values()) clearTimeout(t.timer);
    this.tickets.clear();
  }
}
