import type { Call, Side } from '../../lib/calls';
import { opposite } from '../../lib/calls';
import { INTERNAL_TOKEN_HEADER, type Feature, type FeatureContext } from '../../lib/feature';
import { respond } from '../../lib/sip/respond';
import { HoldController } from './hold-controller';
import { MusicServer } from './music-server';
import { mohRoutes } from './routes';
import { classFor, EMBEDDED_MUSIC_USER, MohSettingsStore, musicTarget } from '../../lib/media';

const MUSIC_USER = EMBEDDED_MUSIC_USER;

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

  async function musicFor(call: Call, held: Side): Promise<{ uri: string; headers: Record<string, string> } | undefined> {
    const { ctx: c, settings: s } = need();
    // the holder's class: what its callers hear is the holder's (or its company's) choice
    const holder = opposite(held) === 'caller' ? call.caller.user : call.callee.user;
    const chosen = classFor(await s.get(call.tenant), holder);
    if (!chosen) return undefined;
    return musicTarget(chosen, call.tenant, { uri: c.selfUri, headers: { [INTERNAL_TOKEN_HEADER]: c.internalToken } });
  }

  return {
    name: 'moh',
    services: [{
      user: MUSIC_USER,
      async handle(req, res) {
        const { settings: s, music: m } = need();
        const [, tenant, name] = MUSIC_USER.exec(/^sips?:([^@]+)@/.exec(req.uri)?.[1] ?? '') ?? [];
        const cls = tenant ? (await s.get(tenant)).classes[name] : undefined;
        if (!cls) {
          respond(res, 404, 'Not Found - no such music class');
          return;
        }
        await m.handle(req, res, { key: `${tenant}~${name}`, file: cls.file });
      },
    }],
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
    start(c) {
      ctx = c;
      settings = new MohSettingsStore(c.redis);
      music = new MusicServer(c.srf, c.config.sipHost, c.logger);
      holds = new HoldController({ srf: c.srf, media: c.media, calls: c.calls, logger: c.logger, musicFor });
      const h = holds;
      unsubscribe.push(c.calls.interceptOffers(h.interceptor));
      unsubscribe.push(c.calls.subscribe({ onEnded: (call) => void h.ended(call) }));
    },
    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      await holds?.stop();
      await music?.close();
    },
  };
}
