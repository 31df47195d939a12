import assert from 'node:assert/strict';
import { coreFixture, TENANT } from '../core/fixture';
import { header } from '../races/sip-peer';
import { PeerPhones } from '../races/peer-phones';
import { until } from '../../support/until';

/**
 * The host's own INVITE to the merge code is its seat in the bridge. RFC 3261 13.3.1.4
 * lets it send a BYE the moment its ACK is out: the two can reach the server in one read,
 * and the seat's dialog must already be listened to then, or the BYE is lost to the
 * conference and the other members stay in a bridge nobody leaves. A seat that leaves
 * while the others are still joining ends the conference first: they must not be admitted
 * into it afterwards. Repeated to give the two messages a chance to arrive together.
 */
/** Blocks this process's event loop, as a busy machine would. */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

describe('conference: the host hangs up right behind the ACK of its merge call', function () {
  const RUNS = 10;
  this.timeout(30000 + RUNS * 10000);
  const fx = coreFixture();
  const phones = new PeerPhones(fx);
  after(() => phones.close());


  it('*3 answered, then ACK and BYE back to back: merged and ended by the policy ("end"), or abandoned with both calls as they were; never a bridge left', async () => {
    for (const u of ['hl-a', 'hl-b', 'hl-c']) await fx.provision(u);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/conference`, { mergeCode: '*3', hostLeaves: 'end' })).status, 200);
    const [a, b, c] = [await phones.phone(), await phones.phone('hl-b'), await phones.phone('hl-c')];
    let [merged, abandoned] = [fx.logs('calls merged into a conference').length, fx.logs('merge failed').length];
    const outcomes: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const ab = await phones.answeredCall(a, 'hl-a', b, 'hl-b');
      const ac = await phones.answeredCall(a, 'hl-a', c, 'hl-c');
      const seat = await a.call({ to: '*3', user: 'hl-a', autoAck: false }).result;
      assert.equal(seat.response.status, 200, `run ${run}: the merge call is answered`);
      const bye = a.inDialog(seat.dialog!, 'BYE');
      a.sendRaw(a.ack(seat.dialog!), bye);
      // a loaded server: this process (the application's too) stalls while the engine passes
      // the ACK and the BYE on, so they are read together with the engine's report of the 200
      stall(150);
      assert.equal((await a.responseTo(bye)).status, 200, `run ${run}: the BYE is answered`);
      // Either the merge was done before the BYE was handled (the conference then ends by
      // its policy and B and C get its BYE), or the seat left while B and C were joining:
      // the merge is abandoned and A's two calls are as they were (issue #16), A ends them
      const outcome = await until(`run ${run}: the merge settled`, 8000, () =>
        fx.logs('calls merged into a conference').length > merged ? 'merged' : fx.logs('merge failed').length > abandoned ? 'abandoned' : undefined);
      merged = fx.logs('calls merged into a conference').length;
      abandoned = fx.logs('merge failed').length;
      for (const [call, callee, who] of [[ab, b, 'B'], [ac, c, 'C']] as const) {
        if (outcome === 'abandoned') assert.equal((await a.request(call.caller, 'BYE')).status, 200, `run ${run}: A's call with ${who} is still up`);
        await callee.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === call.callee.callId, 8000, `run ${run}: BYE at ${who}`);
      }
      await until(`run ${run}: no conference left`, 8000, async () =>
        ((await fx.api('GET', '/v1/conferences')).body as { conferences: unknown[] }).conferences.length === 0);
      outcomes.push(outcome);
    }
    console.log(`      outcomes: ${outcomes.join(', ')}`);
  });
});
