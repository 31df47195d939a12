import type Srf from 'drachtio-srf';
import { opposite, type Call, type Side } from '../../lib/calls';
import type { Feature, FeatureContext } from '../../lib/feature';
import { contactTarget } from '../../lib/routing';
import { parseAddress } from '../../lib/sip/addresses';
import { MAX_ADDRESS_HEADER } from '../../lib/sip/name-addr';
import type { Replaces } from '../../lib/sip/replaces';
import { respond } from '../../lib/sip/respond';
import { CallRepository, RegistrationRepository, UserRepository } from '../../lib/store';
import { findConfirmedLeg } from './find-leg';
import { ReferProgress } from './refer-progress';
import { parseReferTo } from './refer-to';
import { transferRoutes } from './routes';
import { RemoteTransfers, TICKET_USER } from './remote';
import { TransferError } from './transfer-error';
import { TransferService } from './transfer-service';

/** A REFER that cannot be carried out now, answered with why (RFC 3515 2.4.2: any final failure). */
function refuse(res: Srf.SrfResponse, err: TransferError): void {
  respond(res, err.status, err.code === 'parked' ? 'Forbidden - Call Is Parked' : undefined);
}

/**
 * Call transfer (issue 18): blind and attended, by REFER inside a call (RFC 3515,
 * RFC 5589), by an INVITE with Replaces naming a confirmed leg (RFC 3891), and by REST.
 * Registered after park, whose REFER listener takes REFERs to the park extension and
 * slots first.
 */
export function transferFeature(): Feature {
  let ctx: FeatureContext | undefined;
  let svc: TransferService | undefined;
  let users: UserRepository | undefined;
  let remote: RemoteTransfers | undefined;
  const unsubscribe: Array<() => void> = [];
  const need = (): { ctx: FeatureContext; svc: TransferService; users: UserRepository; remote: RemoteTransfers } => {
    if (!ctx || !svc || !users || !remote) throw new Error('transfer feature not started');
    return { ctx, svc, users, remote };
  };

  /** RFC 3892 3: the Referred-By of the REFER, or the transferor itself when the REFER has none. */
  function referredBy(call: Call, by: Side, req: Srf.SrfRequest): string {
    const given = req.has('Referred-By') ? req.get('Referred-By') : undefined;
    if (given && given.length <= MAX_ADDRESS_HEADER && parseAddress(given)) return given;
    return `<${call[by].uri}>`;
  }

  /** RFC 3515 2.4.2 / RFC 5589: a REFER inside a call transfers the party opposite its sender. */
  async function onRefer(call: Call, by: Side, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<boolean> {
    const n = need();
    const target = parseReferTo(req.has('Refer-To') ? req.get('Refer-To') : undefined);
    if (!target) {
      respond(res, 400, 'Bad Request - Bad Refer-To');
      return true;
    }
    if (target.host !== call.tenant) {
      respond(res, 403, 'Forbidden - Refer-To Another Domain');
      return true;
    }
    const progress = new ReferProgress(call.dialog(by));
    if (target.replaces) {
      // attended: the Replaces names the transferor's consultation dialog with us
      const found = findConfirmedLeg(n.ctx.calls, target.replaces);
      if (!found) return referToOwner(call, by, req, res, target.replaces);
      if (found.call === call || found.call.tenant !== call.tenant) {
        respond(res, found ? 403 : 481, found ? 'Forbidden' : 'Call/Transaction Does Not Exist');
        return true;
      }
      const refused = n.svc.refusal([call, found.call]);
      if (refused) {
        refuse(res, refused);
        return true;
      }
      res.send(202);
      void n.svc.attended(call, by, found.call, opposite(found.side), progress)
        .catch((err: Error) => call.log.error('attended transfer failed', { error: err.message }));
      return true;
    }
    if (!(await n.users.get(call.tenant, target.user))) {
      respond(res, 404, 'Not Found - No Such User');
      return true;
    }
    const refused = n.svc.refusal([call]);
    if (refused) {
      refuse(res, refused);
      return true;
    }
    res.send(202);
    void n.svc.blind(call, by, target.user, { referredBy: referredBy(call, by, req), progress })
      .catch((err: Error) => call.log.error('blind transfer failed', { error: err.message }));
    return true;
  }

  /**
   * Attended transfer whose consultation dialog lives on another instance (issue 18
   * point 4; bus-ops.ts): its owner gets it ready, then the transferee is sent there as
   * in a blind transfer. 481 when no instance has the dialog (RFC 3891 3).
   */
  async function referToOwner(call: Call, by: Side, req: Srf.SrfRequest, res: Srf.SrfResponse, replaces: Replaces): Promise<boolean> {
    const n = need();
    const owner = await n.remote.ownerOfDialog(replaces);
    if (!owner) {
      respond(res, 481, 'Call/Transaction Does Not Exist');
      return true;
    }
    const refused = n.svc.refusal([call]);
    if (refused) {
      refuse(res, refused);
      return true;
    }
    const { callId, toTag, fromTag } = replaces;
    const prepared = await n.remote.ask(owner, { tenant: call.tenant, dialog: { callId, toTag, fromTag }, transferor: call[by].user });
    if (prepared instanceof TransferError) {
      refuse(res, prepared);
      return true;
    }
    res.send(202);
    void n.svc.blind(call, by, prepared.target, { referredBy: referredBy(call, by, req), progress: new ReferProgress(call.dialog(by)), via: prepared.via })
      .catch((err: Error) => call.log.error('attended transfer through the owner failed', { error: err.message }));
    return true;
  }

  return {
    name: 'transfer',
    services: [{
      // the transferee of an attended transfer, sent here by the instance that has it (remote.ts)
      user: TICKET_USER,
      handle: (req, res) => need().remote.take(req, res),
    }],
    replaces: {
      async handle(c, replaces) {
        const n = need();
        const found = findConfirmedLeg(n.ctx.calls, replaces);
        if (!found) return false;
        if (replaces.earlyOnly) {
          // RFC 3891 3: early-only names a dialog that must not be confirmed yet
          respond(c.res, 486, 'Busy Here - Dialog Confirmed');
          return true;
        }
        if (found.call.tenant !== c.tenant) {
          respond(c.res, 403, 'Forbidden - Another Tenant');
          return true;
        }
        // a parked party has no partner left to be joined to (its parker was released):
        // refused as a REFER from it is, and the call stays parked until retrieved
        const refused = n.svc.refusal([found.call]);
        if (refused?.code === 'parked') {
          refuse(c.res, refused);
          return true;
        }
        await n.svc.replaceLeg(found.call, found.side, c.req, c.res, { user: c.caller.user, tenant: c.tenant });
        return true;
      },
    },
    routes(api) {
      transferRoutes(api, () => {
        const n = need();
        return { calls: n.ctx.calls, transfers: n.svc, remote: n.remote, userExists: async (tenant, user) => !!(await n.users.get(tenant, user)) };
      }, { ringMs: ctx ? ctx.config.noAnswerTimeout * 1000 : undefined });
    },
    start(c) {
      ctx = c;
      users = new UserRepository(c.redis);
      const registrations = new RegistrationRepository(c.redis);
      const service = new TransferService({
        srf: c.srf, media: c.media, calls: c.calls, logger: c.logger, ringMs: c.config.noAnswerTimeout * 1000,
        phones: async (tenant, user) => (await registrations.lookup(tenant, user)).map(contactTarget),
      });
      svc = service;
      const remotes = new RemoteTransfers({
        bus: c.bus, calls: c.calls, records: new CallRepository(c.redis), transfers: service,
        instanceUri: (user) => c.instanceUri(user), internalToken: c.internalToken, logger: c.logger,
      });
      remote = remotes;
      unsubscribe.push(c.calls.subscribe({ onRefer, onEnded: (call) => service.ended(call) }), remotes.serve(), () => remotes.stop());
    },
    stop() {
      for (const u of unsubscribe.splice(0)) u();
    },
  };
}
