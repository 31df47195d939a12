import { baresipPhones, type Baresip } from '../../support/baresip';
import { until } from '../../support/until';
import { coreFixture, freshUsers, TENANT, type CoreFixture, type LiveCall } from '../core/fixture';
import { toneFiles, type TONE } from './tones';

export type ToneName = keyof typeof TONE;

/** One describe block's softphone tests: the server, fresh users, and a baresip phone per user. */
export interface SoftphoneRig {
  fx: CoreFixture;
  /**
   * Provisions one fresh user per tone (`<tag><tone><n>`, password `pw-<user>`, with
   * `extra` settings) and starts a registered phone for each, sending that tone.
   */
  start(tag: string, tones: ToneName[], extra?: Partial<Record<ToneName, Record<string, unknown>>>): Promise<Baresip[]>;
  /** the calls GET /v1/calls lists */
  liveCalls(): Promise<LiveCall[]>;
  /** waits until no call is listed and rtpengine holds no session */
  nothingLeft(): Promise<void>;
}

/**
 * The phones come before the fixture so their afterEach (which stops phones a failed test
 * left, hanging up their calls) runs before the fixture checks nothing is left behind.
 */
export function softphoneRig(env: Record<string, string> = {}): SoftphoneRig {
  const phones = baresipPhones();
  const fx = coreFixture(env);
  const users = freshUsers(fx);
  const tone = toneFiles();

  const liveCalls = async (): Promise<LiveCall[]> => {
    const body = (await fx.api('GET', '/v1/calls')).body as { calls?: LiveCall[] } | LiveCall[];
    return Array.isArray(body) ? body : body.calls ?? [];
  };
  return {
    fx,
    async start(tag, tones, extra = {}) {
      const names = await users(...tones.map((t) => `${tag}${t}`));
      const server = `${TENANT}:${fx.sipPort()}`;
      const started: Baresip[] = [];
      for (const [i, user] of names.entries()) {
        const settings = extra[tones[i]];
        if (settings) await fx.provision(user, `pw-${user}`, settings);
        started.push(await phones.start({ user, password: `pw-${user}`, server, source: tone(tones[i]) }));
      }
      return started;
    },
    liveCalls,
    async nothingLeft() {
      await until('no live call', 5000, async () => (await liveCalls()).length === 0);
      await until('no rtpengine session', 5000, async () => (await fx.media().anchor.list()).length === 0);
    },
  };
}

/** `caller` dials `callee`, which rings and accepts: both phones see the call established. */
export async function connect(caller: Baresip, callee: Baresip): Promise<void> {
  await caller.command('dial', callee.uri);
  await callee.event('CALL_INCOMING');
  await callee.command('accept');
  await caller.event('CALL_ESTABLISHED');
  await callee.event('CALL_ESTABLISHED');
}

/** `phone` hangs up its current call; each of `others` sees its call closed. */
export async function hangUp(phone: Baresip, ...others: Baresip[]): Promise<void> {
  await phone.command('hangup');
  await phone.event('CALL_CLOSED');
  for (const o of others) await o.event('CALL_CLOSED');
}
