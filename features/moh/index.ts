import type { Call, Side } from '../../lib/calls';
import { opposite } from '../../lib/calls';
import { Gauge } from 'prom-client';
import type { Feature, FeatureContext } from '../../lib/feature';
import { HoldController } from './hold-controller';
import { MusicServer } from './music-server';
import { mohRoutes } from './routes';
import { classFor, MohSettingsStore, musicTarget, type MediaServerTarget } from '../../lib/media';

/**
 * Music on hold (issue: hold, MoH by 3pcc, consultation hold, swap): holds are relayed
 * as they are unless the tenant has music on hold, in which case the held party is
 * connected to its class's music server until the resume.
 */
export function mohFeature(): Feature {
  let ctx: FeatureContext | undefined;
  let settings: MohSettingsStore | undefined;
  let music: MusicServer | undefined;
  let holds: HoldController | undefined;
  const unsubscribe: Array<() => void> = [];

  const need = (): { ctx: FeatureContext; settings: MohSettingsStore; music: MusicServer; holds: HoldController } => {
    if (!ctx || !settings || !music || !holds) throw new Error('moh feature not started');
    return { ctx, settings, music, holds };
  };

  async function musicFor(call: Call, held: Side): Promise<MediaServerTarget | undefined> {
    const { ctx: c, settings: s } = need();
    // the holder's class: what its callers hear is the holder's (or its company's) choice
    const holder = opposite(held) === 'caller' ? call.caller.user : call.callee.user;
    const chosen = classFor(await s.get(call.tenant), holder);
    if (!chosen) return undefined;
    return musicTarget(chosen, call.tenant, c.embedded);
  }

  return {
    name: 'moh',
    routes(api) {
      mohRoutes(api, {
        get settings() {
          return need().settings;
        },
        get calls() {
          return need().ctx.calls;
        },
        get holds() {
          return need().holds;
        },
      });
    },
    async forgetUser(tenant, user) {
      await need().settings.forgetUser(tenant, user);
    },
    onMediaRestart: (call) => need().holds.mediaRestarted(call),
    start(c) {
      ctx = c;
      settings = new MohSettingsStore(c.redis);
      const m = new MusicServer(c.config.sipHost, c.logger);
      music = m;
      // the embedded music server is reached in this process, by moh and by park (lib/media/media-service.ts)
      c.embedded.music = { server: (tenant, name, file) => m.server({ key: `${tenant}~${name}`, file }) };
      new Gauge({ name: 'feature_server_music_listeners', help: 'Parties the embedded music server streams to', registers: [c.metrics], collect() { this.set(m.activeSessions); } });
      holds = new HoldController({ srf: c.srf, media: c.media, calls: c.calls, logger: c.logger, musicFor });
      const h = holds;
      unsubscribe.push(c.calls.interceptOffers(h.interceptor));
      unsubscribe.push(c.calls.subscribe({
        onEnded: (call) => void h.ended(call),
        onResumed: (call, by) => void h.released(call, by),
      }));
    },
    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      await holds?.stop();
      if (ctx?.embedded.music) ctx.embedded.music = undefined;
      await music?.close();
    },
  };
}
