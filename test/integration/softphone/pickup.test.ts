import assert from 'node:assert/strict';
import { until } from '../../support/until';
import { TENANT } from '../core/fixture';
import { listen } from './listen';
import { hangUp, softphoneRig } from './steps';
import { TONE } from './tones';

/**
 * Issue 16, call pickup with real softphones: A calls B, whose phone rings; C, in a pickup
 * group covering B's call group, dials the feature code and takes the call. The server
 * answers C's INVITE with the caller's media, answers A's ringing INVITE, and cancels B's
 * phone (RFC 3326 Reason "Call completed elsewhere"). Checked by ear: A and C hear each other.
 */
describe('softphone: pickup of a ringing call (issue 16)', function () {
  this.timeout(60000);
  const rig = softphoneRig();
  const { fx } = rig;

  const ringingCallees = async (): Promise<string[]> => {
    const body = (await fx.api('GET', `/v1/tenants/${TENANT}/ringing`)).body as { groups: Record<string, Array<{ callee: string }>> };
    return Object.values(body.groups).flat().map((c) => c.callee);
  };

  for (const how of ['group (*8)', 'directed (**<user>)'] as const) {
    it(`${how}: C picks up A's call ringing on B; B stops ringing; A and C hear each other; nothing is left`, async () => {
      const [a, b, c] = await rig.start(how.startsWith('group') ? 'pg' : 'pd', ['a', 'b', 'c'], {
        b: { callGroups: ['sales'] },
        c: { pickupGroups: ['sales'] },
      });
      await a.command('dial', b.uri);
      await b.event('CALL_INCOMING');
      await until('B\'s call listed as ringing', 5000, async () => (await ringingCallees()).includes(b.user));

      const code = how.startsWith('group') ? '*8' : `**${b.user}`;
      await c.command('dial', `sip:${code}@${TENANT}:${fx.sipPort()}`);
      await c.event('CALL_ESTABLISHED');
      await a.event('CALL_ESTABLISHED');
      // B's phone was cancelled: it never answered
      await b.event('CALL_CLOSED');
      assert.ok(!b.eventTypes().includes('CALL_ESTABLISHED'), 'B never got the call');
      // the record is written once both are answered: until then it lists the ringing call (callee B)
      const call = await fx.liveCall((x) => x.caller.user === a.user && x.state === 'answered');
      assert.equal(call.callee.user, c.user, 'the call is now between A and C');

      await listen(a, { present: [TONE.c], absent: [TONE.a, TONE.b] });
      await listen(c, { present: [TONE.a], absent: [TONE.b, TONE.c] });
      assert.deepEqual(await ringingCallees(), []);

      await hangUp(a, c);
      await rig.nothingLeft();
    });
  }
});
