import assert from 'node:assert/strict';
import { TONE } from './tones';
import { listen } from './listen';
import { connect, hangUp, softphoneRig } from './steps';

/**
 * Issue 16, music on hold with real softphones: the holder's baresip sends a sendonly
 * re-INVITE (RFC 3264 8.4); the server moves the held party's media to the embedded music
 * server by 3pcc (RFC 3725) and, on resume, back. Checked by ear: the held party's
 * recording holds the music and not the holder's tone.
 */
describe('softphone: music on hold (issue 16)', function () {
  this.timeout(60000);
  const rig = softphoneRig();

  it('A holds B: B hears the hold music and not A\'s voice; A resumes: each hears the other again; nothing is left after the hangup', async () => {
    const [a, b] = await rig.start('mh', ['a', 'b']);
    await connect(a, b);
    await listen(b, { present: [TONE.a], absent: [TONE.b], music: false });

    await a.command('hold');
    await listen(b, { music: true, absent: [TONE.a, TONE.b] });
    const call = await rig.fx.liveCall((c) => c.caller.user === a.user);
    assert.ok(call.held?.caller, `the call shows the caller holding: ${JSON.stringify(call.held)}`);

    await a.command('resume');
    await listen(b, { present: [TONE.a], absent: [TONE.b], music: false });
    await listen(a, { present: [TONE.b], absent: [TONE.a], music: false });

    await hangUp(a, b);
    await rig.nothingLeft();
  });
});
