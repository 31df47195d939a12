import type { ApiRouter } from '../../lib/api';
import { apiSchemas, defineErrors, tenantFrom } from '../../lib/api';
import { opposite, type CallManager, type Side } from '../../lib/calls';
import { targetSide } from './find-leg';
import type { RemoteTransfers } from './remote';
import { TransferError } from './transfer-error';
import type { TransferService } from './transfer-service';

export const transferErrors = defineErrors({
  E_CALL_NOT_FOUND: { status: 404, sipStatus: 481, message: 'no such call on this instance' },
  E_CALL_NOT_ANSWERED: { status: 409, message: 'only an answered call can be transferred' },
  E_CALL_PARKED: { status: 409, sipStatus: 403, message: 'a parked call is retrieved, not transferred' },
  E_TRANSFER_IN_PROGRESS: { status: 409, sipStatus: 491, message: 'the call is being transferred already' },
  E_TRANSFER_TARGET_NOT_FOUND: { status: 404, sipStatus: 404, message: 'no such user in the tenant' },
  E_TRANSFER_TARGET_UNAVAILABLE: { status: 409, sipStatus: 480, message: 'the target has no registered phone' },
  E_TRANSFER_FAILED: { status: 409, message: 'the target did not take the call; the parties are as they were' },
  E_TRANSFER_SAME_CALL: { status: 422, message: 'a call cannot be transferred to itself' },
  E_TRANSFER_AMBIGUOUS: { status: 422, message: 'say which party of toCall is the target (toParty)' },
  E_TRANSFER_BAD_REQUEST: { status: 422, message: 'give either `to` (blind) or `toCall` (attended)' },
  E_NO_TRANSFER: { status: 404, message: 'no transfer is under way on this call' },
});

/** What a transfer takes after its target answered (re-INVITEs of the target and the transferee, RFC 3261 64*T1 each at worst). */
const MOVE_MARGIN_MS = 15_000;

export interface TransferRoutesDeps {
  calls: CallManager;
  transfers: TransferService;
  /** whether `user` is a user of `tenant` */
  userExists(tenant: string, user: string): Promise<boolean>;
  /** `toCall` owned by another instance: asked of its owner (remote.ts) */
  remote: Pick<RemoteTransfers, 'ownerOfCall' | 'ask'>;
}

interface TransferBody {
  party: Side;
  to?: string;
  toCall?: string;
  toParty?: Side;
}

function refusal(err: unknown): Error {
  if (!(err instanceof TransferError)) return err as Error;
  if (err.code === 'in-progress') return transferErrors.E_TRANSFER_IN_PROGRESS();
  if (err.code === 'same-call') return transferErrors.E_TRANSFER_SAME_CALL();
  if (err.code === 'parked') return transferErrors.E_CALL_PARKED(err.message);
  if (err.code === 'no-call' || err.code === 'other-tenant') return transferErrors.E_CALL_NOT_FOUND(err.message);
  if (err.code === 'ambiguous') return transferErrors.E_TRANSFER_AMBIGUOUS();
  if (err.code === 'failed') return transferErrors.E_TRANSFER_FAILED(err.message);
  return transferErrors.E_CALL_NOT_ANSWERED(err.message);
}

/**
 * REST transfer (issue 18, shapes after Wazo calld's transfers): `party` is the
 * transferee, the one that stays; the other party of the call is released once the
 * target answered. Blind: `to`, a user of the tenant. Attended: `toCall`, another call
 * of the tenant on this instance; its party that is not the transferor (or `toParty`)
 * joins the transferee and the transferor's two legs end.
 */
export function transferRoutes(api: ApiRouter, deps: () => TransferRoutesDeps, opts: { ringMs?: number } = {}): void {
  api.post<{ Params: { id: string }; Body: TransferBody }>('/calls/:id/transfer', {
    tenant: tenantFrom.resource,
    // forwarded to the owner of the call, the request waits as long as the target may ring, and the moves after it
    ...(opts.ringMs !== undefined ? { forwardTimeoutMs: opts.ringMs + MOVE_MARGIN_MS } : {}),
    schema: {
      summary: 'Transfer a party of a call: blind to a user (`to`), or attended to the far party of another call (`toCall`)', tags: ['transfer'],
      params: apiSchemas.callParams,
      body: {
        type: 'object', additionalProperties: false, required: ['party'],
        properties: {
          party: { type: 'string', enum: ['caller', 'callee'] },
          to: apiSchemas.sipUserSchema,
          toCall: apiSchemas.callIdSchema,
          toParty: { type: 'string', enum: ['caller', 'callee'] },
        },
      },
    },
  }, async (req) => {
    const d = deps();
    const b = req.body;
    const call = d.calls.get(req.params.id);
    if (!call || !req.apiScope.allows(call.tenant)) throw transferErrors.E_CALL_NOT_FOUND();
    if ((b.to === undefined) === (b.toCall === undefined)) throw transferErrors.E_TRANSFER_BAD_REQUEST();
    const transferor = opposite(b.party);
    if (b.to !== undefined) {
      if (!(await d.userExists(call.tenant, b.to))) throw transferErrors.E_TRANSFER_TARGET_NOT_FOUND(`no user ${b.to} in ${call.tenant}`);
      const refused = d.transfers.refusal([call]);
      if (refused) throw refusal(refused);
      const { status } = await d.transfers.blind(call, transferor, b.to);
      if (status === 480) throw transferErrors.E_TRANSFER_FAILED(`${b.to} did not answer or has no phone (480); the call is as it was`);
      if (status !== 200) throw transferErrors.E_TRANSFER_FAILED(`${b.to} answered ${status}; the call is as it was`);
      return { transferred: true, kind: 'blind', party: b.party, to: b.to };
    }
    const other = d.calls.get(b.toCall as string);
    const remote = other ? undefined : await d.remote.ownerOfCall(b.toCall as string);
    if (remote) {
      // the other call lives on another instance: its owner gets it ready, the transferee is sent there
      if (!req.apiScope.allows(remote.tenant) || remote.tenant !== call.tenant) throw transferErrors.E_CALL_NOT_FOUND(`no call ${b.toCall}`);
      const refused = d.transfers.refusal([call]);
      if (refused) throw refusal(refused);
      const prepared = await d.remote.ask(remote.owner, { tenant: call.tenant, call: { id: b.toCall as string, ...(b.toParty ? { target: b.toParty } : {}) }, transferor: call[transferor].user });
      if (prepared instanceof TransferError) throw refusal(prepared);
      const { status } = await d.transfers.blind(call, transferor, prepared.target, { via: prepared.via });
      if (status !== 200) throw transferErrors.E_TRANSFER_FAILED(`joining ${prepared.target} failed (${status})`);
      return { transferred: true, kind: 'attended', party: b.party, to: prepared.target };
    }
    if (!other || !req.apiScope.allows(other.tenant) || other.tenant !== call.tenant) throw transferErrors.E_CALL_NOT_FOUND(`no call ${b.toCall}`);
    if (other === call) throw transferErrors.E_TRANSFER_SAME_CALL();
    const target = b.toParty ?? targetSide(other, call[transferor].user);
    if (!target) throw transferErrors.E_TRANSFER_AMBIGUOUS();
    const refused = d.transfers.refusal([call, other]);
    if (refused) throw refusal(refused);
    const to = other[target].user;
    const { status } = await d.transfers.attended(call, transferor, other, target);
    if (status !== 200) throw transferErrors.E_TRANSFER_FAILED(`joining ${to} failed (${status})`);
    return { transferred: true, kind: 'attended', party: b.party, to };
  });

  api.get<{ Params: { id: string } }>('/calls/:id/transfer', {
    tenant: tenantFrom.resource,
    schema: { summary: 'The transfer under way on a call, if any', tags: ['transfer'], params: apiSchemas.callParams },
  }, async (req) => {
    const d = deps();
    const call = d.calls.get(req.params.id);
    if (!call || !req.apiScope.allows(call.tenant)) throw transferErrors.E_CALL_NOT_FOUND();
    const run = d.transfers.running(call.id);
    if (!run) throw transferErrors.E_NO_TRANSFER();
    return { transfer: run.view() };
  });
}
