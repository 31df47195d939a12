import assert from 'node:assert/strict';
import { baresipPhones } from '../../support/baresip';
import { hears } from '../../support/hears';
import { until } from '../../support/until';
import { coreFixture, freshUsers, TENANT } from '../core/fixture';
import { TONE, toneFiles } from './tones';

/**
 * A basic call between two real softphones (baresip): digest REGISTER, INVITE through the
 * B2BUA and rtpengine, audio both ways checked in each phone's recording, BYE.
 */
describe('softphone: a call between two baresip phones', function () {
  this.timeout(40000);
  const phones = baresipPhones();
  const fx = coreFixture();
  const users = freshUsers(fx);
  const tone = toneFiles();

  it('A calls B, B answers: each hears the other\'s tone and only it; after the hangup no call and no media session is left', async () => {
    const [ua, ub] = await users('sa', 'sb');
    const server = `${TENANT}:${fx.sipPort()}`;
    const a = await phones.start({ user: ua, password: `pw-${ua}`, server, source: tone('a') });
    const b = await phones.start({ user: ub, password: `pw-${ub}`, server, source: tone('b') });

    await a.command('dial', b.uri);
    await b.event('CALL_INCOMING');
    await b.command('accept');
    await a.event('CALL_ESTABLISHED');
    await b.event('CALL_ESTABLISHED');
    const call = await fx.liveCall((c) => c.state === 'answered' && c.caller.user === ua && c.callee.user === ub);
    assert.ok(call.mediaCallId, 'the call is anchored in rtpengine');

    await hears(a, TONE.b, [TONE.a]);
    await hears(b, TONE.a, [TONE.b]);

    await a.command('hangup');
    await b.event('CALL_CLOSED');
    await a.event('CALL_CLOSED');
    await until('no live call', 5000, async () => {
      const body = (await fx.api('GET', '/v1/calls')).body as { calls?: unknown[] } | unknown[];
      return (Array.isArray(body) ? body : body.calls ?? []).length === 0;
    });
    await until('no rtpengine session', 5000, async () => (await fx.media().anchor.list()).length === 0);
  });
});
