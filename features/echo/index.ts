import type { Feature, FeatureCallContext, FeatureContext } from '../../lib/feature';
import { respond } from '../../lib/sip/respond';
import { RtpReflector } from './rtp-reflector';

/**
 * Echo test (`*43`): the caller hears itself, through rtpengine like any call. It proves
 * the feature-code path end to end: dispatch, media anchoring, teardown.
 */
export function echoFeature(): Feature {
  let ctx: FeatureContext | undefined;
  const live = new Set<RtpReflector>();

  async function handle(call: FeatureCallContext): Promise<void> {
    if (!ctx) throw new Error('echo feature not started');
    const { req, res } = call;
    if (!req.body) {
      respond(res, 488, 'Not Acceptable Here - SDP offer required');
      return;
    }
    const callId = req.get('Call-ID');
    const fromTag = /;\s*tag=([^;\s]+)/.exec(req.get('From'))?.[1] ?? '';
    const echoTag = `echo-${fromTag}`;
    const reflector = await RtpReflector.open(ctx.config.sipHost);
    live.add(reflector);
    const cleanup = (): void => {
      reflector.close();
      live.delete(reflector);
      void ctx?.media.delete({ callId }).catch(() => undefined);
    };
    try {
      const offer = await ctx.media.offer({ callId, fromTag, sdp: req.body });
      const answer = await ctx.media.answer({ callId, fromTag, toTag: echoTag, sdp: reflector.answer(offer) });
      const dialog = await ctx.srf.createUAS(req, res, { localSdp: answer });
      call.logger.info('echo test answered');
      dialog.on('destroy', cleanup);
    } catch (err) {
      call.logger.warn('echo test failed', { error: (err as Error).message });
      cleanup();
      if (!res.finalResponseSent) respond(res, 503, 'Service Unavailable');
    }
  }

  return {
    name: 'echo',
    codes: [{ pattern: /^\*43$/, handle }],
    start(c) {
      ctx = c;
    },
    stop() {
      for (const r of live) r.close();
      live.clear();
    },
  };
}
