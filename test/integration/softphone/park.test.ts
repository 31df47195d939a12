import assert from 'node:assert/strict';
import type { Baresip } from '../../support/baresip';
import { until } from '../../support/until';
import { TENANT } from '../core/fixture';
import { listen } from './listen';
import { connect, hangUp, softphoneRig } from './steps';
import { TONE } from './tones';

interface Park {
  slot: string;
  parker: string;
  parked: string;
}

/**
 * Issue 16, call park with real softphones: the parked party's media goes to the embedded
 * music server by 3pcc (RFC 3725), the parker is released, and whoever retrieves the slot
 * (by dialing it, or called by the REST retrieve) is bridged to the parked party. Checked
 * by ear: the parked phone hears music, then the retriever's tone; the retriever hears the
 * parked party's tone.
 */
describe('softphone: park and retrieve (issue 16)', function () {
  this.timeout(60000);
  const rig = softphoneRig();
  const { fx } = rig;

  const parks = async (): Promise<Park[]> => ((await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: Park[] }).parks;
  const slotUri = (slot: string): string => `sip:${slot}@${TENANT}:${fx.sipPort()}`;

  /** the parked phone and the retriever hear each other, and no music any more */
  async function bridged(parked: Baresip, retriever: Baresip, parkedTone: number, retrieverTone: number): Promise<void> {
    await listen(parked, { present: [retrieverTone], absent: [parkedTone], music: false });
    await listen(retriever, { present: [parkedTone], absent: [retrieverTone], music: false });
  }

  beforeEach(async () => {
    const r = await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  it('B parks A by REFER to 700 (baresip\'s transfer): A hears music, B is released; C dials the slot: A and C hear each other; nothing is left', async () => {
    const [a, b, c] = await rig.start('pr', ['a', 'b', 'c']);
    await connect(a, b);
    await listen(a, { present: [TONE.b], absent: [TONE.a] });

    await b.command('transfer', slotUri('700'));
    // RFC 3515 2.4.5: the final NOTIFY says 200 (parked), and baresip ends its call
    await b.event('CALL_CLOSED', undefined, 15000);
    await listen(a, { music: true, absent: [TONE.a, TONE.b, TONE.c] });
    const [parked] = await until('A listed as parked', 5000, async () => {
      const list = await parks();
      return list.length === 1 && list;
    });
    assert.deepEqual([parked.parker, parked.parked], [b.user, a.user]);
    assert.ok(!a.eventTypes().includes('CALL_CLOSED'), 'the parked party\'s call lives on');

    await c.command('dial', slotUri(parked.slot));
    await c.event('CALL_ESTABLISHED');
    await bridged(a, c, TONE.a, TONE.c);
    assert.deepEqual(await parks(), [], 'the slot is free once retrieved');

    await hangUp(c, a);
    await rig.nothingLeft();
  });

  it('REST park of the callee, REST retrieve to C: B hears music, A is released; C\'s phone rings, C answers: B and C hear each other; nothing is left', async () => {
    const [a, b, c] = await rig.start('pp', ['a', 'b', 'c']);
    await connect(a, b);
    const call = await fx.liveCall((x) => x.caller.user === a.user && x.callee.user === b.user);
    await listen(b, { present: [TONE.a], absent: [TONE.b] });

    const r = await fx.api('POST', `/v1/calls/${call.id}/park`, { party: 'callee' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const { slot } = r.body as { slot: string };
    await listen(b, { music: true, absent: [TONE.a, TONE.b, TONE.c] });
    // the parker hears its slot announced, then the server hangs up on it
    await a.event('CALL_CLOSED', undefined, 15000);

    const retrieve = fx.api('POST', `/v1/parks/${slot}/retrieve`, { tenant: TENANT, to: c.user });
    await c.event('CALL_INCOMING');
    await c.command('accept');
    const rr = await retrieve;
    assert.equal(rr.status, 200, JSON.stringify(rr.body));
    await c.event('CALL_ESTABLISHED');
    await bridged(b, c, TONE.b, TONE.c);
    assert.deepEqual(await parks(), [], 'the slot is free once retrieved');

    await hangUp(b, c);
    await rig.nothingLeft();
  });
});
