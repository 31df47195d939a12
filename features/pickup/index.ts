import type Srf from 'drachtio-srf';
import { Gauge } from 'prom-client';
import type { Call, CallManager } from '../../lib/calls';
import { INTERNAL_TOKEN_HEADER, type Feature, type FeatureContext } from '../../lib/feature';
import { contactTarget, mayWatchDialogs } from '../../lib/routing';
import { DialogInfoWatchers, type DialogInfoEntry } from '../../lib/sip/dialog-info';
import { respond } from '../../lib/sip/respond';
import { parseAddress } from '../../lib/sip/addresses';
import { RegistrationRepository, UserRepository } from '../../lib/store';
import { ringForOp, ringingChanged, RING_FOR_TIMEOUT_MS } from './bus-ops';
import { PickupError, PickupService } from './pickup-service';
import { RingingStore, type RingingCall } from './ringing-store';
import { pickupRoutes, toPickupError } from './routes';
import { parseCode, PickupSettingsStore } from './settings';

/** The internal pickup service of the instance a call rings through: `pickup~<call id>`. */
const PICKUP_USER = /^pickup~([A-Za-z0-9-]{1,64})$/;

/** How long a ringing call stays listed if nobody removes it (its instance died): past any no-answer timeout. */
const RINGING_GRACE_MS = 60_000;

/** A failed pickup on SIP: the catalogue's status and message (routes.ts). */
function refuse(res: Srf.SrfResponse, err: unknown): void {
  const e = toPickupError(err) as Error & { sipStatus?: number };
  if (!e.sipStatus) throw err;
  respond(res, e.sipStatus, undefined, { Warning: `399 feature-server "${e.message.replace(/"/g, "'")}"` });
}

/**
 * RFC 4235 dialogs of a user on this instance, as its BLF lamp shows them: `early` while
 * its phone rings, with the Call-ID and tags of the ringing leg so a phone can send
 * INVITE with Replaces (service example "Call Pickup"); `confirmed` while in a call.
 * Tags are as the watched user sees them: local is its phone's, remote is ours.
 */
export function userDialogs(calls: CallManager, tenant: string, user: string): DialogInfoEntry[] {
  const out: DialogInfoEntry[] = [];
  for (const call of calls.list()) {
    if (call.tenant !== tenant || call.state === 'ended') continue;
    const remote = (u: string): string => `sip:${u}@${tenant}`;
    if (call.state === 'answered') {
      if (call.callee.user === user) out.push({ id: call.id, state: 'confirmed', direction: 'recipient', remote: remote(call.caller.user) });
      else if (call.caller.user === user) out.push({ id: call.id, state: 'confirmed', direction: 'initiator', remote: remote(call.callee.user) });
      continue;
    }
    if (call.callee.user === user) {
      calls.earlyLegs(call).forEach((b, i) => out.push({
        id: `${call.id}-${i}`, state: 'early', direction: 'recipient', callId: b.callId, localTag: [...b.remoteTags][0],
        remoteTag: b.localTag, remote: remote(call.caller.user),
      }));
    } else if (call.caller.user === user) {
      out.push({ id: call.id, state: 'early', direction: 'initiator', remote: remote(call.callee.user) });
    }
  }
  return out;
}

/**
 * Pickup groups (issue: group, directed and BLF pickup, from phones and from REST):
 * `*8` and `**<ext>` (per-tenant codes), INVITE with Replaces naming a ringing leg,
 * `POST /v1/pickup`, and BLF (`Event: dialog`) for users.
 */
export function pickupFeature(): Feature {
  let ctx: FeatureContext | undefined;
  let pickup: PickupService | undefined;
  let settings: PickupSettingsStore | undefined;
  let users: UserRepository | undefined;
  let watchers: DialogInfoWatchers | undefined;
  const unsubscribe: Array<() => void> = [];
  const need = (): { ctx: FeatureContext; pickup: PickupService; settings: PickupSettingsStore; users: UserRepository } => {
    if (!ctx || !pickup || !settings || !users) throw new Error('pickup feature not started');
    return { ctx, pickup, settings, users };
  };

  return {
    name: 'pickup',
    // the console's pickup view hears calls start and stop ringing in groups on every instance
    liveTopics: [ringingChanged.name],
    codes: [{
      // any star code: the tenant's settings say which are pickup's; the rest fall through
      pattern: /^[*#][*#0-9A-Za-z._~-]*$/,
      async handle(c) {
        const n = need();
        const what = parseCode(await n.settings.get(c.tenant), c.dialed);
        if (!what) return false;
        try {
          await n.pickup.pickByPhone(c.tenant, c.caller.user, what, c.req, c.res);
        } catch (err) {
          c.logger.info('pickup failed', { picker: c.caller.user, dialed: c.dialed, error: (err as Error).message });
          refuse(c.res, err);
        }
        return true;
      },
    }],
    services: [{
      // a picker on another instance claimed a call ringing here: its INVITE comes on to us
      user: PICKUP_USER,
      async handle(req, res, logger) {
        const callId = PICKUP_USER.exec(/^sips?:([^@]+)@/.exec(req.uri)?.[1] ?? '')?.[1] ?? '';
        const picker = parseAddress(req.get('From'))?.user ?? '';
        try {
          await need().pickup.pickForwarded(callId, picker, req, res);
        } catch (err) {
          logger.info('forwarded pickup failed', { call: callId, picker, error: (err as Error).message });
          refuse(res, err);
        }
      },
    }],
    replaces: {
      async handle(c, replaces) {
        const n = need();
        const call = n.pickup.findByReplaces(replaces);
        if (!call) return false;
        try {
          await n.pickup.pickByReplaces(c.tenant, c.caller.user, call, c.req, c.res);
        } catch (err) {
          c.logger.info('pickup by Replaces failed', { picker: c.caller.user, error: (err as Error).message });
          refuse(c.res, err);
        }
        return true;
      },
    },
    events: [{
      event: 'dialog',
      async handle(s) {
        const n = need();
        const target = await n.users.get(s.tenant, s.target);
        if (!watchers || !target) return false;
        // A user's calls are private: only the user, who may pick them up, or whom it lets (lib/routing/dialog-watch-policy.ts).
        if (!mayWatchDialogs(await n.users.get(s.tenant, s.subscriber), target)) {
          s.logger.info('dialog subscription refused', { subscriber: s.subscriber, target: s.target });
          respond(s.res, 403, 'Forbidden - Not Allowed To Watch This User');
          return true;
        }
        await watchers.subscribe(s, s.target);
        return true;
      },
    }],
    routes(api) {
      pickupRoutes(api, () => {
        const n = need();
        return { pickup: n.pickup, settings: n.settings };
      });
    },
    start(c) {
      ctx = c;
      settings = new PickupSettingsStore(c.redis);
      users = new UserRepository(c.redis);
      const registrations = new RegistrationRepository(c.redis);
      const blf = new DialogInfoWatchers(c.srf, (tenant, user) => userDialogs(c.calls, tenant, user), c.config.subscriptions);
      watchers = blf;
      new Gauge({ name: 'feature_server_user_dialog_subscriptions', help: 'Active dialog-event (BLF) subscriptions to users on this instance',
        registers: [c.metrics], collect() { this.set(blf.size); } });
      new Gauge({ name: 'feature_server_user_dialog_notifies_outstanding', help: 'NOTIFYs to BLF subscribers of users sent and not yet answered',
        registers: [c.metrics], collect() { this.set(blf.outstanding); } });
      const changed = (call: Call, who: string[], ended = false): void => {
        for (const u of new Set(who)) {
          if (!blf.watched(call.tenant, u)) continue;
          blf.changed(call.tenant, u, ended ? [{ id: call.id, state: 'terminated' }] : []);
        }
      };
      const svc = new PickupService({
        calls: c.calls, users, ringing: new RingingStore(c.redis, c.config.noAnswerTimeout * 1000 + RINGING_GRACE_MS),
        phones: async (tenant, user) => (await registrations.lookup(tenant, user)).map(contactTarget),
        instanceId: c.config.instanceId, logger: c.logger.child({ feature: 'pickup' }),
        // where another instance forwards a pickup of a call ringing here (this one picks its own locally)
        ownerUri: (callId) => c.instanceUri(`pickup~${callId}`),
        alive: (instanceId) => c.bus.alive(instanceId),
        remote: {
          async forward(rc, picker, req, res) {
            if (!rc.ownerUri) throw new PickupError('elsewhere', `the call rings through instance ${rc.instanceId}`);
            await c.calls.connect(req, res, {
              tenant: rc.tenant, caller: { user: picker, tenant: rc.tenant, uri: `sip:${picker}@${rc.tenant}` },
              callee: { user: rc.callee, uri: `sip:${rc.callee}@${rc.tenant}` }, targets: [{ uri: rc.ownerUri }],
              headers: { [INTERNAL_TOKEN_HEADER]: c.internalToken }, noAnswerMs: c.config.noAnswerTimeout * 1000,
            });
          },
          async ringFor(rc, picker) {
            try {
              await c.bus.request(rc.instanceId, ringForOp, { callId: rc.callId, picker }, { timeoutMs: RING_FOR_TIMEOUT_MS });
            } catch (err) {
              throw new PickupError('lost', `the owning instance could not take it: ${(err as Error).message}`);
            }
          },
        },
      });
      unsubscribe.push(c.bus.serve(ringForOp, async ({ callId, picker }) => {
        await svc.ringForwarded(callId, picker);
        return true;
      }));
      pickup = svc;
      // the phone that rang stays a party of the call's lamps after a pickup took the call
      const rang = new Map<string, string>();
      const parties = (call: Call): string[] => [call.caller.user, call.callee.user, rang.get(call.id) ?? call.callee.user];
      const log = (err: Error): void => {
        c.logger.warn('pickup: ringing list update failed', { error: err.message });
      };
      // told once the list in Redis says so, so a console that refetches on the event sees it;
      // a call ringing in no group is nothing a pickup view shows
      const told = (ringing: boolean) => async (rc: RingingCall | undefined): Promise<void> => {
        if (!rc || rc.groups.length === 0) return;
        await c.bus.publish(ringingChanged, { tenant: rc.tenant, callId: rc.callId, ringing, groups: rc.groups });
      };
      unsubscribe.push(c.calls.subscribe({
        onRinging: (call) => {
          rang.set(call.id, call.callee.user);
          void svc.ringing(call).then(told(true)).catch(log);
          changed(call, parties(call));
        },
        onAnswered: (call) => {
          void svc.settled(call).then(told(false)).catch(log);
          changed(call, parties(call));
          rang.delete(call.id);
        },
        onEnded: (call) => {
          void svc.settled(call).then(told(false)).catch(log);
          changed(call, parties(call), true);
          rang.delete(call.id);
        },
      }));
    },
    stop() {
      for (const u of unsubscribe.splice(0)) u();
      watchers?.close();
    },
  };
}
