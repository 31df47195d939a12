import type Srf from 'drachtio-srf';
import { Gauge } from 'prom-client';
import { opposite, type Call, type Side } from '../../lib/calls';
import { INTERNAL_TOKEN_HEADER, type Feature, type FeatureContext } from '../../lib/feature';
import { DEFAULT_SETTINGS, MohSettingsStore, musicTarget, type MusicTarget } from '../../lib/media';
import { respond } from '../../lib/sip/respond';
import { parseAddress } from '../../lib/sip/addresses';
import { contactTarget } from '../../lib/routing';
import { CallRepository, RegistrationRepository } from '../../lib/store';
import { ParkLotStore, slotsOf } from './lot';
import { ParkError, ParkService } from './park-service';
import { ParkTakeover } from './takeover';
import { parkRoutes } from './routes';
import { lotChanged, PARK_TIMEOUT_MS, parkOp, RETRIEVE_SLACK_MS, retrieveToOp, slotChanged } from './bus-ops';
import { SlotStore, type ParkedEntry } from './slots';
import { SlotWatchers } from './blf';
import { SlotAnnouncer } from './announcement';


/** The internal retrieve service of the instance a call is parked on: `park~<tenant>~<slot>`. */
const RETRIEVE_USER = /^park~([A-Za-z0-9.-]{1,253})~(\d{1,8})$/;

/** BLF across instances: a slot taken or freed anywhere lights the lamps everywhere. */

/**
 * Call park and retrieve (issue: park via REFER, feature codes and REST; retrieve by
 * dialing the slot or *71<slot>).
 */
export function parkFeature(): Feature {
  let ctx: FeatureContext | undefined;
  let park: ParkService | undefined;
  let lots: ParkLotStore | undefined;
  let watchers: SlotWatchers | undefined;
  const unsubscribe: Array<() => void> = [];
  let slotStore: SlotStore | undefined;
  let takeover: ParkTakeover | undefined;
  const need = (): { ctx: FeatureContext; park: ParkService; lots: ParkLotStore; slots: SlotStore; takeover: ParkTakeover } => {
    if (!ctx || !park || !lots || !slotStore || !takeover) throw new Error('park feature not started');
    return { ctx, park, lots, slots: slotStore, takeover };
  };

  /** RFC 3515 + service example "Call Park": REFER to the park extension or a slot. */
  async function onRefer(call: Call, by: Side, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<boolean> {
    const { park: svc, lots: l } = need();
    const target = parseAddress(req.get('Refer-To'))?.user || undefined;
    if (!target) return false;
    const lot = await l.get(call.tenant);
    const isSlot = slotsOf(lot).includes(target);
    if (target !== lot.extension && !isSlot) return false;
    res.send(202);
    const parker = call.dialog(by);
    const notify = async (frag: string): Promise<void> => {
      if (!parker) return;
      await parker.request({
        method: 'NOTIFY',
        headers: { Event: 'refer', 'Subscription-State': 'terminated;reason=noresource', 'Content-Type': 'message/sipfrag;version=2.0' },
        body: `${frag}\r\n`,
      });
    };
    try {
      await svc.park(call, opposite(by), isSlot ? target : undefined, (slot) => notify(`SIP/2.0 200 Parked at ${slot}`));
    } catch (err) {
      const code = err instanceof ParkError ? err.code : 'music';
      const frag = code === 'taken' ? `SIP/2.0 486 Slot ${target} Busy` : code === 'full' ? 'SIP/2.0 486 Park Lot Full' : 'SIP/2.0 503 Park Failed';
      call.log.info('park by REFER failed; the call stays', { error: (err as Error).message });
      await notify(frag).catch(() => undefined);
    }
    return true;
  }

  return {
    name: 'park',
    // the console's park grid hears slots taken and freed on every instance
    liveTopics: [slotChanged.name, lotChanged.name],
    codes: [{
      // retrieve: the slot number itself, or *71<slot>; a number that is no slot is routed on
      pattern: /^(?:\*71)?(\d{1,8})$/,
      async handle(c) {
        const { park: svc, lots: l } = need();
        const slot = c.match[1];
        const lot = await l.get(c.tenant);
        if (!slotsOf(lot).includes(slot)) {
          if (c.dialed.startsWith('*71')) {
            respond(c.res, 404, 'Not Found - No Such Park Slot');
            return true;
          }
          return false;
        }
        if (await svc.retrieve(c.tenant, slot, c.req, c.res, c.caller.user)) return true;
        const found = await need().slots.get(c.tenant, slot);
        // a call whose owner died is taken over first (here or elsewhere), then retrieved
        const entry = found && (await need().takeover.settle(found));
        const me = need().ctx.config.instanceId;
        if (entry?.instanceId === me && (await svc.retrieve(c.tenant, slot, c.req, c.res, c.caller.user))) return true;
        if (entry?.ownerUri && entry.instanceId !== me) {
          // parked through another instance: that instance's retrieve service takes the call
          // (this one stays a B2BUA between the retriever and it)
          c.logger.info('retrieve through the owning instance', { slot, owner: entry.instanceId });
          await need().ctx.calls.connect(c.req, c.res, {
            tenant: c.tenant, caller: { user: c.caller.user, tenant: c.tenant, uri: `sip:${c.caller.user}@${c.tenant}`, display: c.caller.display },
            callee: { user: slot, uri: `sip:${slot}@${c.tenant}` }, targets: [{ uri: entry.ownerUri }],
            headers: { [INTERNAL_TOKEN_HEADER]: need().ctx.internalToken }, noAnswerMs: need().ctx.config.noAnswerTimeout * 1000,
          });
          return true;
        }
        respond(c.res, 404, 'Not Found - Nothing Parked There');
        return true;
      },
    }],
    services: [{
      // another instance forwards a retrieve of a call parked here (see the code above)
      user: RETRIEVE_USER,
      async handle(req, res) {
        const [, tenant, slot] = RETRIEVE_USER.exec(/^sips?:([^@]+)@/.exec(req.uri)?.[1] ?? '') ?? [];
        const retriever = parseAddress(req.get('From'))?.user || 'unknown';
        if (!tenant || !(await need().park.retrieve(tenant, slot, req, res, retriever))) respond(res, 404, 'Not Found - Nothing Parked There');
      },
    }],
    events: [{
      event: 'dialog',
      async handle(ctx) {
        const { lots: l } = need();
        const lot = await l.get(ctx.tenant);
        if (!slotsOf(lot).includes(ctx.target)) return false;
        if (!watchers) return false;
        // Slots are the tenant's shared lamps: any user of the tenant may watch them (the
        // router authenticated the subscriber in this tenant); users' own calls are pickup's.
        await watchers.subscribe(ctx, ctx.target);
        return true;
      },
    }],
    routes(api) {
      parkRoutes(api, () => {
        const n = need();
        const me = n.ctx.config.instanceId;
        const calls = new CallRepository(n.ctx.redis);
        const waitMs = (ringMs: number): number => ringMs + RETRIEVE_SLACK_MS;
        return {
          lots: n.lots, park: n.park, calls: n.ctx.calls,
          lotChanged: (tenant) => void n.ctx.bus.publish(lotChanged, { tenant })
            .catch((err: Error) => n.ctx.logger.warn('park: lot change not published', { tenant, error: err.message })),
          remote: {
            async ownerOfCall(id) {
              const r = await calls.get(id);
              return r && r.instanceId !== me ? { owner: r.instanceId, tenant: r.tenant } : undefined;
            },
            park: (owner, callId, party, slot) => n.ctx.bus.request(owner, parkOp, { callId, party, slot }, { timeoutMs: PARK_TIMEOUT_MS }),
            async ownerOfSlot(tenant, slot) {
              const found = await n.slots.get(tenant, slot);
              const e = found && (await n.takeover.settle(found));
              return e && e.instanceId !== me ? e.instanceId : undefined;
            },
            retrieveTo: (owner, tenant, slot, to, ringMs) => n.ctx.bus.request(owner, retrieveToOp, { tenant, slot, to, ringMs }, { timeoutMs: waitMs(ringMs) }),
          },
        };
      });
    },
    onMediaRestart: (call) => need().park.mediaRestarted(call),
    start(c) {
      ctx = c;
      lots = new ParkLotStore(c.redis);
      const moh = new MohSettingsStore(c.redis);
      const registrations = new RegistrationRepository(c.redis);
      const slots = new SlotStore(c.redis, c.config.instanceId);
      slotStore = slots;
      const blf = new SlotWatchers(c.srf, (tenant, slot) => slots.get(tenant, slot), c.config.subscriptions);
      watchers = blf;
      const changed = (tenant: string, slot: string, entry: ParkedEntry | undefined): void => void c.bus.publish(slotChanged, { tenant, slot, occupied: entry !== undefined })
        .catch((err: Error) => c.logger.warn('park: slot change not published', { error: err.message }));
      // where another instance forwards a retrieve of a call parked here (this one retrieves its own locally)
      const ownerUri = (tenant: string, slot: string): string => c.instanceUri(`park~${tenant}~${slot}`);
      const music = async (tenant: string, mohClass: string): Promise<MusicTarget> => {
        const settings = await moh.get(tenant);
        const cls = settings.classes[mohClass] ?? DEFAULT_SETTINGS.classes.default;
        return musicTarget({ name: settings.classes[mohClass] ? mohClass : 'default', cls }, tenant, c.embedded);
      };
      park = new ParkService({
        announcer: new SlotAnnouncer(), changed, ownerUri, music,
        settle: (e) => (takeover as ParkTakeover).settle(e),
        phones: async (tenant, user) => (await registrations.lookup(tenant, user)).map(contactTarget),
        srf: c.srf, media: c.media, calls: c.calls, lots, slots, logger: c.logger, instanceId: c.config.instanceId,
      });
      const svc = park;
      new Gauge({ name: 'feature_server_parked_calls', help: 'Calls parked on this instance', registers: [c.metrics], collect() { this.set(svc.size); } });
      const records = new CallRepository(c.redis);
      takeover = new ParkTakeover({
        srf: c.srf, media: c.media, calls: c.calls, lots, slots, logger: c.logger, instanceId: c.config.instanceId, park: svc,
        ownerUri, music, changed, alive: (instanceId) => c.bus.alive(instanceId), record: (id) => records.get(id),
      });
      takeover.start();
      unsubscribe.push(c.calls.subscribe({
        onRefer,
        onEnded: (call) => void svc.ended(call).catch((err: Error) => call.log.error('park: freeing the slot of an ended call failed', { error: err.message })),
      }));
      unsubscribe.push(c.bus.on(slotChanged, ({ tenant, slot, occupied }) => {
        // the lamps show the slot as Redis has it now (the event says only that it changed)
        const current = occupied ? slots.get(tenant, slot) : Promise.resolve(undefined);
        void current.then((entry) => blf.changed(tenant, slot, entry))
          .catch((err: Error) => c.logger.warn('park: slot lamps not updated', { tenant, slot, error: err.message }));
      }));
      // REST on another instance for a call parked here
      unsubscribe.push(c.bus.serve(retrieveToOp, ({ tenant, slot, to, ringMs }) => svc.retrieveTo(tenant, slot, to, ringMs)));
      unsubscribe.push(c.bus.serve(parkOp, async ({ callId, party, slot }) => {
        const call = c.calls.get(callId);
        if (!call) return { refused: 'no-call' as const, message: 'no such call' };
        try {
          return { slot: await svc.park(call, party, slot) };
        } catch (err) {
          if (err instanceof ParkError) return { refused: err.code, message: err.message.slice(0, 1024) };
          throw err;
        }
      }));
    },
    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      takeover?.stop();
      await park?.stop();
      watchers?.close();
    },
  };
}
