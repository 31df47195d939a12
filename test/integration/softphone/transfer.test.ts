import assert from 'node:assert/strict';
import { baresipPhones } from '../../support/baresip';
import { hears } from '../../support/hears';
import { until } from '../../support/until';
import { coreFixture, freshUsers, TENANT, type LiveCall } from '../core/fixture';
import { TONE, toneFiles } from './tones';

/**
 * Issue 18, blind transfer from a real softphone: baresip's `transfer` sends REFER
 * (RFC 3515) inside its call and hangs up as soon as the final NOTIFY reports 200; the
 * server calls the target and moves the transferee's media to it.
 */
describe('softphone: blind transfer from baresip (issue 18)', function () {
  this.timeout(40000);
  const phones = baresipPhones();
  const fx = coreFixture();
  const users = freshUsers(fx);
  const tone = toneFiles();

  const liveCalls = async (): Promise<LiveCall[]> => {
    const body = (await fx.api('GET', '/v1/calls')).body as { calls?: LiveCall[] } | LiveCall[];
    return Array.isArray(body) ? body : body.calls ?? [];
  };

  it('B transfers A to C; C answers: A and C hear each other, B\'s call is over; after A hangs up nothing is left', async () => {
    const [ua, ub, uc] = await users('ta', 'tb', 'tc');
    const server = `${TENANT}:${fx.sipPort()}`;
    const a = await phones.start({ user: ua, password: `pw-${ua}`, server, source: tone('a') });
    const b = await phones.start({ user: ub, password: `pw-${ub}`, server, source: tone('b') });
    const c = await phones.start({ user: uc, password: `pw-${uc}`, server, source: tone('c') });

    await a.command('dial', b.uri);
    await b.event('CALL_INCOMING');
    await b.command('accept');
    await a.event('CALL_ESTABLISHED');
    await b.event('CALL_ESTABLISHED');
    await hears(a, TONE.b, [TONE.a, TONE.c]);

    await b.command('transfer', c.uri);
    const incoming = await c.event('CALL_INCOMING');
    assert.match(incoming.peeruri ?? '', new RegExp(`^sip:${ua}@`), 'C sees the transferee calling');
    await c.command('accept');
    await c.event('CALL_ESTABLISHED');
    // baresip ends its call once the NOTIFY says 200 (RFC 3515 2.4.5)
    await b.event('CALL_CLOSED');

    await hears(a, TONE.c, [TONE.a, TONE.b]);
    await hears(c, TONE.a, [TONE.b, TONE.c]);
    assert.ok(!a.eventTypes().includes('CALL_CLOSED'), 'the transferee\'s call survived the transferor\'s BYE');
    const calls = await until('only A-C left', 5000, async () => {
      const live = await liveCalls();
      return live.length === 1 && live;
    });
    assert.ok(![calls[0].caller.user, calls[0].callee.user].includes(ub), `B is gone from the calls: ${JSON.stringify(calls)}`);

    await a.command('hangup');
    await c.event('CALL_CLOSED');
    await until('no live call', 5000, async () => (await liveCalls()).length === 0);
    await until('no rtpengine session', 5000, async () => (await fx.media().anchor.list()).length === 0);
  });
  it('C declines: B is told 486 by the NOTIFY (TRANSFER_FAILED); baresip then hangs up, so A, the transferor gone, is hung up too; nothing is left', async () => {
    const [ua, ub, uc] = await users('ra', 'rb', 'rc');
    const server = `${TENANT}:${fx.sipPort()}`;
    const a = await phones.start({ user: ua, password: `pw-${ua}`, server, source: tone('a') });
    const b = await phones.start({ user: ub, password: `pw-${ub}`, server, source: tone('b') });
    const c = await phones.start({ user: uc, password: `pw-${uc}`, server, source: tone('c') });

    await a.command('dial', b.uri);
    await b.event('CALL_INCOMING');
    await b.command('accept');
    await a.event('CALL_ESTABLISHED');
    await b.event('CALL_ESTABLISHED');

    await b.command('transfer', c.uri);
    await c.event('CALL_INCOMING');
    await c.command('hangup'); // baresip rejects with 486
    const failed = await b.event('TRANSFER_FAILED');
    assert.match(failed.param ?? '', /486/, 'RFC 3515: the NOTIFY carries the target\'s final status');
    // baresip 1.0 sends BYE after the final NOTIFY whatever it says: the transferor is
    // gone, so the server hangs up the transferee rather than leave it alone
    await a.event('CALL_CLOSED');
    await until('no live call', 5000, async () => (await liveCalls()).length === 0);
    await until('no rtpengine session', 5000, async () => (await fx.media().anchor.list()).length === 0);
  });
});
