import assert from 'node:assert/strict';
import { hears } from '../../support/hears';
import { connect, hangUp, softphoneRig } from './steps';
import { TONE } from './tones';

/**
 * A basic call between two real softphones (baresip): digest REGISTER, INVITE through the
 * B2BUA and rtpengine, audio both ways checked in each phone's recording, BYE.
 */
describe('softphone: a call between two baresip phones', function () {
  this.timeout(40000);
  const rig = softphoneRig();

  it('A calls B, B answers: each hears the other\'s tone and only it; after the hangup no call and no media session is left', async () => {
    const [a, b] = await rig.start('s', ['a', 'b']);
    await connect(a, b);
    const call = await rig.fx.liveCall((c) => c.state === 'answered' && c.caller.user === a.user && c.callee.user === b.user);
    assert.ok(call.mediaCallId, 'the call is anchored in rtpengine');

    await hears(a, TONE.b, [TONE.a]);
    await hears(b, TONE.a, [TONE.b]);

    await hangUp(a, b);
    await rig.nothingLeft();
  });
});
