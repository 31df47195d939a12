import type Srf from 'drachtio-srf';
import { opposite, type Call, type Side } from '../../lib/calls';
import { INTERNAL_TOKEN_HEADER, type Feature, type FeatureContext } from '../../lib/feature';
import { DEFAULT_SETTINGS, MohSettingsStore, musicTarget } from '../../lib/media';
import { respond } from '../../lib/sip/respond';
import { contactTarget } from '../../lib/routing';
import { RegistrationRepository } from '../../lib/store';
import { ParkLotStore, slotsOf } from './lot';
import { ParkError, ParkService } from './park-service';
import { parkRoutes } from './routes';
import { SlotStore } from './slots';
import { SlotWatchers } from './blf';
import { SlotAnnouncer } from './announcement';

type Request = (o: object) => Promise<Srf.SrfResponse>;

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
  const need = (): { ctx: FeatureContext; park: ParkService; lots: ParkLotStore } => {
    if (!ctx || !park || !lots) throw new Error('park feature not started');
    return { ctx, park, lots };
  };

  /** RFC 3515 + service example "Call Park": REFER to the park extension or a slot. */
  async function onRefer(call: Call, by: Side, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<boolean> {
    const { park: svc, lots: l } = need();
    const target = /<?sips?:([^@;>]+)@/.exec(req.get('Refer-To') ?? '')?.[1];
    if (!target) return false;
    const lot = await l.get(call.tenant);
    const isSlot = slotsOf(lot).includes(target);
    if (target !== lot.extension && !isSlot) return false;
    res.send(202);
    const parker = call.dialog(by);
    const notify = async (frag: string): Promise<void> => {
      if (!parker) return;
      await (parker.request as unknown as Request).call(parker, {
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
        if (!(await svc.retrieve(c.tenant, slot, c.req, c.res, c.caller.user))) respond(c.res, 404, 'Not Found - Nothing Parked There');
        return true;
      },
    }],
    events: [{
      event: 'dialog',
      async handle(ctx) {
        const { lots: l } = need();
        const lot = await l.get(ctx.tenant);
        if (!slotsOf(lot).includes(ctx.target)) return false;
        if (!watchers) return false;
        await watchers.subscribe(ctx, ctx.target);
        return true;
      },
    }],
    routes(api) {
      parkRoutes(api, () => {
        const n = need();
        return { lots: n.lots, park: n.park, calls: n.ctx.calls };
      });
    },
    start(c) {
      ctx = c;
      lots = new ParkLotStore(c.redis);
      const moh = new MohSettingsStore(c.redis);
      const registrations = new RegistrationRepository(c.redis);
      const slots = new SlotStore(c.redis);
      const blf = new SlotWatchers(c.srf, (tenant, slot) => slots.get(tenant, slot));
      watchers = blf;
      park = new ParkService({
        announcer: new SlotAnnouncer(),
        changed: (tenant, slot, entry) => blf.changed(tenant, slot, entry),
        phones: async (tenant, user) => (await registrations.lookup(tenant, user)).map(contactTarget),
        srf: c.srf, media: c.media, calls: c.calls, lots, slots, logger: c.logger, instanceId: c.config.instanceId,
        async music(tenant, mohClass) {
          const settings = await moh.get(tenant);
          const cls = settings.classes[mohClass] ?? DEFAULT_SETTINGS.classes.default;
          return musicTarget({ name: settings.classes[mohClass] ? mohClass : 'default', cls }, tenant, { uri: c.selfUri, headers: { [INTERNAL_TOKEN_HEADER]: c.internalToken } });
        },
      });
      const svc = park;
      unsubscribe.push(c.calls.subscribe({ onRefer, onEnded: (call) => void svc.ended(call) }));
    },
    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      await park?.stop();
      watchers?.close();
    },
  };
}
