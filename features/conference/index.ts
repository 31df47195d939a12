import { Gauge } from 'prom-client';
import type { Feature, FeatureContext } from '../../lib/feature';
import type { MediaServerTarget } from '../../lib/media';
import { contactTarget } from '../../lib/routing';
import { respond } from '../../lib/sip/respond';
import { RegistrationRepository } from '../../lib/store';
import { BridgeServer } from './bridge-server';
import { conferenceChanged, conferenceChangeOf } from './bus-ops';
import { ConferenceService } from './conference-service';
import { ConferenceStore } from './conference-store';
import { ConferenceDirectory } from './directory';
import { ConferenceMixer } from './mixer';
import { conferenceRoutes, toConferenceError } from './routes';
import { ConferenceSettingsStore } from './settings';

/**
 * 3-way conference bridging (issue: a real audio mixer, *3 merge, REST): the embedded
 * bridge (in this process, backed by the mixer in ./mixer; no SIP) or an external one per
 * tenant (by URI, SIP); members moved in by 3pcc.
 */
export function conferenceFeature(): Feature {
  let ctx: FeatureContext | undefined;
  let service: ConferenceService | undefined;
  let settings: ConferenceSettingsStore | undefined;
  let mixer: ConferenceMixer | undefined;
  let bridge: BridgeServer | undefined;
  let directory: ConferenceDirectory | undefined;
  const need = (): { ctx: FeatureContext; service: ConferenceService; settings: ConferenceSettingsStore; bridge: BridgeServer; directory: ConferenceDirectory } => {
    if (!ctx || !service || !settings || !bridge || !directory) throw new Error('conference feature not started');
    return { ctx, service, settings, bridge, directory };
  };

  return {
    name: 'conference',
    // the console's conference view hears members join, leave and hold on every instance
    liveTopics: [conferenceChanged.name],
    codes: [{
      // any star code: the tenant's merge code is conference's, the rest fall through
      pattern: /^[*#][*#0-9]*$/,
      async handle(c) {
        const n = need();
        if (c.dialed !== (await n.settings.get(c.tenant)).mergeCode) return false;
        try {
          const conf = await n.service.mergeByPhone(c.tenant, c.caller.user, c.req, c.res);
          c.logger.info('calls merged into a conference', { conference: conf.id });
        } catch (err) {
          const e = toConferenceError(err) as Error & { sipStatus?: number };
          c.logger.info('merge failed', { error: e.message });
          // the seat may have been answered before another party failed to join: it got the conference's BYE
          if (!c.res.finalResponseSent) respond(c.res, e.sipStatus ?? 500, undefined, { Warning: `399 feature-server "${e.message.replace(/"/g, "'")}"` });
        }
        return true;
      },
    }],
    routes(api) {
      conferenceRoutes(api, () => {
        const n = need();
        return { conferences: n.service, settings: n.settings, calls: n.ctx.calls, directory: n.directory, bus: n.ctx.bus, instanceId: n.ctx.config.instanceId,
          ringMs: n.ctx.config.noAnswerTimeout * 1000 };
      });
    },
    async start(c) {
      ctx = c;
      settings = new ConferenceSettingsStore(c.redis);
      mixer = await ConferenceMixer.start({ host: c.config.sipHost, portMin: c.config.conferencePortMin, portMax: c.config.conferencePortMax });
      const b = new BridgeServer(mixer, c.logger.child({ feature: 'conference' }));
      bridge = b;
      const registrations = new RegistrationRepository(c.redis);
      const s = settings;
      const store = new ConferenceStore(c.redis, c.config.instanceId);
      directory = new ConferenceDirectory({ store, instanceId: c.config.instanceId, alive: (i) => c.bus.alive(i), logger: c.logger.child({ feature: 'conference' }) });
      service = new ConferenceService({
        srf: c.srf, media: c.media, calls: c.calls, store, settings: s,
        async bridge(tenant, conference, member): Promise<MediaServerTarget> {
          const external = (await s.get(tenant)).bridgeUri;
          if (external) return { kind: 'sip', uri: external.replace('{conference}', conference), headers: {} };
          return b.server(conference, member);
        },
        phones: async (tenant, user) => (await registrations.lookup(tenant, user)).map(contactTarget),
        ringMs: c.config.noAnswerTimeout * 1000,
        logger: c.logger.child({ feature: 'conference' }),
        changed: (conf, ended) => void c.bus.publish(conferenceChanged, conferenceChangeOf(conf, ended, c.config.instanceId))
          .catch((err: Error) => c.logger.warn('conference: change not published', { conference: conf.id, error: err.message })),
      });
      const svc = service;
      // read by GET /v1/stats/history (the console's plot) by this name
      new Gauge({ name: 'feature_server_conferences', help: 'Conferences on this instance', registers: [c.metrics], collect() { this.set(svc.list().length); } });
    },
    async stop() {
      await service?.stop();
      await bridge?.close();
      await mixer?.close();
    },
  };
}
