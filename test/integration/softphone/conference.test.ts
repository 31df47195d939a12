import assert from 'node:assert/strict';
import type { Baresip } from '../../support/baresip';
import { TENANT } from '../core/fixture';
import { listen } from './listen';
import { connect, softphoneRig } from './steps';
import { TONE } from './tones';

/**
 * Issue 16, 3-way conference with real softphones: the host (A) has a call with B and one
 * with C and merges them into the embedded bridge, by REST or by dialing the merge code.
 * Each phone sends a tone of its own; the bridge sends each member the mix of the others
 * (N-1), so each hears the other two and not itself.
 */
describe('softphone: 3-way conference (issue 16)', function () {
  this.timeout(60000);
  const rig = softphoneRig();
  const { fx } = rig;

  beforeEach(async () => {
    const r = await fx.api('PUT', `/v1/tenants/${TENANT}/conference`, { mergeCode: '*3', hostLeaves: 'end' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  /** A calls B, then C, both answered; returns the two calls' ids */
  async function twoCalls(a: Baresip, b: Baresip, c: Baresip): Promise<[string, string]> {
    await connect(a, b);
    const one = await fx.liveCall((x) => x.caller.user === a.user && x.callee.user === b.user);
    await connect(a, c);
    const two = await fx.liveCall((x) => x.caller.user === a.user && x.callee.user === c.user);
    return [one.id, two.id];
  }

  /** each member hears the other two tones and not its own */
  async function eachHearsTheOthers(a: Baresip, b: Baresip, c: Baresip): Promise<void> {
    await listen(a, { present: [TONE.b, TONE.c], absent: [TONE.a] });
    await listen(b, { present: [TONE.a, TONE.c], absent: [TONE.b] });
    await listen(c, { present: [TONE.a, TONE.b], absent: [TONE.c] });
  }

  /** the host hangs up: with hostLeaves "end" every member's call ends; nothing is left */
  async function hostEnds(a: Baresip, b: Baresip, c: Baresip, conference: string): Promise<void> {
    await a.command('hangup');
    for (const p of [b, c]) await p.event('CALL_CLOSED');
    assert.equal((await fx.api('GET', `/v1/conferences/${conference}`)).status, 404);
    await rig.nothingLeft();
  }

  it('REST merge of A-B and A-C: A\'s second call is released; A, B and C each hear the other two; the host hangs up and all calls end', async () => {
    const [a, b, c] = await rig.start('cr', ['a', 'b', 'c']);
    const ids = await twoCalls(a, b, c);

    const r = await fx.api('POST', '/v1/conferences', { calls: ids });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const conf = r.body as { id: string; members: Array<{ user: string }> };
    assert.deepEqual(conf.members.map((m) => m.user).sort(), [a.user, b.user, c.user].sort());
    await a.event('CALL_CLOSED'); // the host's leg to C, now in the bridge through B's

    await eachHearsTheOthers(a, b, c);
    await hostEnds(a, b, c, conf.id);
  });

  it('*3: A, with calls to B and C, dials the merge code: its new call is its seat, both old calls are released; each hears the other two', async () => {
    const [a, b, c] = await rig.start('cs', ['a', 'b', 'c']);
    await twoCalls(a, b, c);

    await a.command('dial', `sip:*3@${TENANT}:${fx.sipPort()}`);
    await a.event('CALL_ESTABLISHED');
    await a.event('CALL_CLOSED');
    await a.event('CALL_CLOSED');
    const list = ((await fx.api('GET', '/v1/conferences')).body as { conferences: Array<{ id: string; members: Array<{ user: string }> }> }).conferences;
    assert.equal(list.length, 1);
    assert.deepEqual(list[0].members.map((m) => m.user).sort(), [a.user, b.user, c.user].sort());

    await eachHearsTheOthers(a, b, c);
    await hostEnds(a, b, c, list[0].id);
  });
});
