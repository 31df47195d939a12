import assert from 'node:assert/strict';
import { flow } from '../engine/fixture';
import { coreFixture } from '../core/fixture';

/**
 * Crashes and leaks bench:abuse's fuzzer found in the call model, each replayed with sipp.
 */
describe('security: fuzz regressions in the call model', function () {
  this.timeout(60000);
  const fx = coreFixture();
  let n = 0;

  it('a callee that hangs up right behind our ACK, before the caller is answered: the caller gets a BYE, nothing is left (no half-dead call)', async () => {
    // Found by the fuzzer as an unhandled ENODIALOG rejection that stopped the server: the
    // callee's BYE reached srf before the call listened on its dialog, so the call stayed
    // up with a dead callee and the caller's later BYE made the server BYE a dialog the
    // engine no longer had. Several calls, so the race is met at least once.
    for (let i = 0; i < 5; i++) {
      n++;
      const [a, b] = [`dead-a${n}`, `dead-b${n}`];
      await fx.provision(a);
      await fx.provision(b);
      const uas = await fx.uas('core-uas-bye.xml', await fx.register(b), { durationMs: 0 });
      // the caller is answered and then gets the BYE, or, when the callee's BYE reached the
      // server before the caller was answered (drachtio-server relays it faster), gets 480
      const ra = await fx.call('core-call-bye-or-refused.xml', a, b, { timeoutSec: 15 });
      assert.equal(ra.code, 0, ra.errors);
      const end = flow(ra.events).slice(-2);
      assert.ok(['< BYE,> 200', '< 480,> ACK'].includes(end.join()), `the caller's call ended with ${end.join(' ')}`);
      assert.equal((await uas.done).code, 0);
      const deadline = Date.now() + 5000;
      while (fx.server().calls.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(fx.server().calls.size, 0, 'the call ended');
    }
  });
});
