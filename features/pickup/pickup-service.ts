import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { Call, CallManager, ForkTarget } from '../../lib/calls';
import type { Replaces } from '../../lib/sip/replaces';
import type { UserRepository } from '../../lib/store';
import type { RingingCall, RingingStore } from './ringing-store';

/** Why a pickup did not happen; `code` maps to SIP and REST (see routes.ts and index.ts). */
export class PickupError extends Error {
  constructor(readonly code: 'nothing' | 'forbidden' | 'lost' | 'codec' | 'elsewhere' | 'cancelled', message: string) {
    super(message);
  }
}

export interface PickupServiceDeps {
  calls: CallManager;
  users: UserRepository;
  ringing: RingingStore;
  /** the registered phones of a user */
  phones(tenant: string, user: string): Promise<ForkTarget[]>;
  instanceId: string;
  logger: Logger;
  /** whether another instance is still running: a crashed one's ringing calls are gone */
  alive(instanceId: string): Promise<boolean>;
  /** this instance's internal pickup service for a call (PICKUP_USER) */
  ownerUri(callId: string): string;
  /** a call ringing through another instance */
  remote: {
    /** the picker's INVITE goes on to the owner's pickup service (this instance stays a B2BUA) */
    forward(rc: RingingCall, picker: string, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void>;
    /** REST: the owner rings the picker's phones */
    ringFor(rc: RingingCall, picker: string): Promise<void>;
  };
}

/** What the picker asks for. */
export type PickTarget = { kind: 'group' } | { kind: 'directed'; target: string };

/**
 * Pickup groups (issue: group, directed and BLF pickup). A call ringing at a member of
 * call groups is listed in Redis under those groups while it rings; a picker whose pickup
 * groups share one with it may take it. The claim is one Redis script, so of any number
 * of pickers (on any instance) exactly one wins; the call manager then answers the
 * caller and cancels the ringing phone as completed elsewhere (RFC 3326).
 */
export class PickupService {
  constructor(private readonly deps: PickupServiceDeps) {}

  /** The call started ringing: listed under the callee's call groups (returned, for the console's event). */
  async ringing(call: Call): Promise<RingingCall> {
    const callee = await this.deps.users.get(call.tenant, call.callee.user);
    const rc: RingingCall = {
      callId: call.id, tenant: call.tenant, callee: call.callee.user, caller: call.caller.user,
      groups: callee?.callGroups ?? [], since: Date.now(), instanceId: this.deps.instanceId, ownerUri: this.deps.ownerUri(call.id),
    };
    await this.deps.ringing.add(rc);
    return rc;
  }

  /** Answered or ended: no longer pickable. Returns what was listed, if anything was. */
  async settled(call: Call): Promise<RingingCall | undefined> {
    const rc = await this.deps.ringing.get(call.tenant, call.id);
    if (rc) await this.deps.ringing.remove(call.tenant, call.id, rc.groups);
    return rc;
  }

  /** *8 / **<ext> from a phone: the picker's INVITE answers the chosen ringing call. */
  async pickByPhone(tenant: string, picker: string, what: PickTarget, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const rc = await this.claimFor(tenant, picker, what);
    if (rc.instanceId !== this.deps.instanceId) {
      await this.deps.remote.forward(rc, picker, req, res);
      return;
    }
    await this.answerWith(rc, picker, req, res);
  }

  /** The owner's side of a forwarded pickup: the claim was made by the picker's instance. */
  async pickForwarded(callId: string, picker: string, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    const call = this.deps.calls.get(callId);
    const rc = call ? await this.deps.ringing.get(call.tenant, callId) : undefined;
    if (!rc || rc.pickedBy !== picker) throw new PickupError('lost', 'the call is no longer ringing');
    await this.answerWith(rc, picker, req, res);
  }

  /**
   * RFC 3891 with a BLF key (service example "Call Pickup"): Replaces names the early
   * dialog of one of our outbound branches: its Call-ID and our tag (the to-tag, as the
   * recipient sees it). Undefined: no such early dialog here.
   */
  findByReplaces(r: Replaces): Call | undefined {
    for (const call of this.deps.calls.list()) {
      if (call.state === 'answered' || call.state === 'ended') continue;
      if (this.deps.calls.earlyLegs(call).some((b) => b.callId === r.callId && b.localTag === r.toTag)) return call;
    }
    return undefined;
  }

  async pickByReplaces(tenant: string, picker: string, call: Call, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<Call> {
    const rc = await this.deps.ringing.get(call.tenant, call.id);
    if (!rc) throw new PickupError('lost', 'the call is no longer ringing');
    await this.authorize(tenant, picker, rc);
    if (rc.pickedBy || !(await this.deps.ringing.claim(rc.tenant, rc.callId, picker))) throw new PickupError('lost', 'someone else picked the call up');
    return this.answerWith(rc, picker, req, res);
  }

  /**
   * REST: the picker's phones ring as a branch of the call; the callee's phones are
   * cancelled as completed elsewhere. Resolves with the call once claimed.
   */
  async pickForUser(tenant: string, picker: string, what: PickTarget): Promise<{ callId: string; caller: string }> {
    const phones = await this.deps.phones(tenant, picker);
    const rc = await this.claimFor(tenant, picker, what, () => {
      if (phones.length === 0) throw new PickupError('nothing', `${picker} has no registered phone`);
    });
    if (rc.instanceId !== this.deps.instanceId) {
      await this.deps.remote.ringFor(rc, picker);
      return { callId: rc.callId, caller: rc.caller };
    }
    this.ringFor(rc, picker, phones);
    return { callId: rc.callId, caller: rc.caller };
  }

  /** The owner's side of a REST pickup: the picker's phones join the ringing fork. */
  async ringForwarded(callId: string, picker: string): Promise<void> {
    const call = this.deps.calls.get(callId);
    const rc = call ? await this.deps.ringing.get(call.tenant, callId) : undefined;
    if (!call || !rc || rc.pickedBy !== picker) throw new PickupError('lost', 'the call is no longer ringing');
    this.ringFor(rc, picker, await this.deps.phones(call.tenant, picker));
  }

  private ringFor(rc: RingingCall, picker: string, phones: ForkTarget[]): void {
    const call = this.local(rc);
    if (!this.deps.calls.ringAlso(call, phones.map((p) => ({ ...p, party: picker })), true)) {
      throw new PickupError('lost', 'the call was answered meanwhile');
    }
    call.log.info('call picked up (REST): ringing the picker', { by: picker });
  }

  /** Ringing calls of a tenant, per group (GET /v1/tenants/{d}/ringing). */
  async list(tenant: string): Promise<RingingCall[]> {
    return (await this.deps.ringing.list(tenant)).filter((c) => !c.pickedBy);
  }

  /** Finds the call, checks the picker may take it, then (after `ready`, which may refuse) claims it. */
  private async claimFor(tenant: string, picker: string, what: PickTarget, ready: () => void = () => undefined): Promise<RingingCall> {
    const user = await this.deps.users.get(tenant, picker);
    const mine = user?.pickupGroups ?? [];
    const candidates: RingingCall[] = [];
    if (what.kind === 'group') {
      if (mine.length === 0) throw new PickupError('forbidden', `${picker} is in no pickup group`);
      for (const id of await this.deps.ringing.oldestIn(tenant, mine)) {
        const rc = await this.deps.ringing.get(tenant, id);
        if (rc && rc.caller !== picker) candidates.push(rc);
      }
    } else {
      candidates.push(...(await this.deps.ringing.list(tenant)).filter((c) => c.callee === what.target));
      for (const rc of candidates) await this.authorize(tenant, picker, rc);
    }
    for (const rc of [...candidates]) {
      if (rc.instanceId === this.deps.instanceId || (await this.deps.alive(rc.instanceId))) continue;
      // rang through an instance that is gone: the call went with it
      candidates.splice(candidates.indexOf(rc), 1);
      await this.deps.ringing.remove(rc.tenant, rc.callId, rc.groups);
    }
    if (candidates.length === 0) throw new PickupError('nothing', what.kind === 'group' ? 'nothing is ringing in your pickup groups' : `nothing is ringing at ${what.target}`);
    for (const rc of candidates) {
      if (rc.pickedBy) continue;
      ready();
      if (await this.deps.ringing.claim(tenant, rc.callId, picker)) return rc;
    }
    throw new PickupError('lost', 'someone else picked the call up');
  }

  /** Same tenant, and one of the picker's pickup groups is a call group of the call. */
  private async authorize(tenant: string, picker: string, rc: RingingCall): Promise<void> {
    if (rc.tenant !== tenant) {
      this.deps.logger.warn('pickup refused: another tenant', { picker, tenant, callTenant: rc.tenant, call: rc.callId });
      throw new PickupError('forbidden', 'the call belongs to another tenant');
    }
    const user = await this.deps.users.get(tenant, picker);
    if (!(user?.pickupGroups ?? []).some((g) => rc.groups.includes(g))) {
      this.deps.logger.warn('pickup refused: not in a pickup group of the call', { picker, tenant, call: rc.callId, groups: rc.groups });
      throw new PickupError('forbidden', `${picker} may not pick up calls ringing at ${rc.callee}`);
    }
  }

  private local(rc: RingingCall): Call {
    const call = this.deps.calls.get(rc.callId);
    if (!call) throw new PickupError('elsewhere', `the call rings through instance ${rc.instanceId}`);
    return call;
  }

  private async answerWith(rc: RingingCall, picker: string, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<Call> {
    try {
      return await this.takeOver(rc, picker, req, res);
    } catch (err) {
      // claimed but not taken (no common codec, not ours to answer): the call rings on, pickable again
      if (err instanceof PickupError && (err.code === 'codec' || err.code === 'elsewhere')) await this.deps.ringing.unclaim(rc.tenant, rc.callId);
      throw err;
    }
  }

  private async takeOver(rc: RingingCall, picker: string, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<Call> {
    const call = this.local(rc);
    const tag = /;\s*tag=([^;\s]+)/.exec(req.get('From'))?.[1] ?? '';
    const outcome = await this.deps.calls.takeOver(call, req, res, {
      user: picker, tenant: rc.tenant, uri: `sip:${picker}@${rc.tenant}`, callId: req.get('Call-ID'), tag,
    });
    if (outcome === 'gone') throw new PickupError('lost', 'the call was answered meanwhile');
    if (outcome === 'codec') throw new PickupError('codec', 'no codec in common with the caller');
    if (outcome === 'cancelled') throw new PickupError('cancelled', 'the picker cancelled the pickup');
    return call;
  }
}
