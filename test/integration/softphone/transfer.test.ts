import assert from 'node:assert/strict';
import { hears } from '../../support/hears';
import { until } from '../../support/until';
import { connect, softphoneRig } from './steps';
import { TONE } from './tones';

/**
 * Issue 18, blind transfer from a real softphone: baresip's `transfer` sends REFER
 * (RFC 3515) inside its call and hangs up as soon as the final NOTIFY reports 200; the
 * server calls the target and moves the transferee's media to it.
 */
describe('softphone: blind transfer from baresip (issue 18)', function () {
  this.timeout(40000);
  const rig = softphoneRig();
  const { liveCalls } = rig;

  it('B transfers A to C; C answers: A and C hear each other, B\'s call is over; after A hangs up nothing is left', async () => {
    const [a, b, c] = await rig.start('t', ['a', 'b', 'c']);
    const [ua, ub] = [a.user, b.user];
    await connect(a, b);
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
    await rig.nothingLeft();
  });
  it('C declines: B is told 486 by the NOTIFY (TRANSFER_FAILED); baresip then hangs up, so A, the transferor gone, is hung up too; nothing is left', async () => {
    const [a, b, c] = await rig.start('r', ['a', 'b', 'c']);
    await connect(a, b);

    await b.command('transfer', c.uri);
    await c.event('CALL_INCOMING');
    await c.command('hangup'); // baresip rejects with 486
    const failed = await b.event('TRANSFER_FAILED');
    assert.match(failed.param ?? '', /486/, 'RFC 3515: the NOTIFY carries the target\'s final status');
    // baresip 1.0 sends BYE after the final NOTIFY whatever it says: the transferor is
    // gone, so the server hangs up the transferee rather than leave it alone
    await a.event('CALL_CLOSED');
    await rig.nothingLeft();
  });
});
