import assert from 'node:assert/strict';
import { coreFixture } from './fixture';
import { finalStatus } from '../../support/sipp-results';

/** SIGTERM behaviour (server.drain): no new calls, live calls finish, then everything stops. */
describe('core: graceful drain', function () {
  this.timeout(30000);
  const fx = coreFixture({ DRAIN_TIMEOUT: '20' }, { checkAfterEach: false });

  it('refuses new calls with 503, lets the live call finish, then stops', async () => {
    await fx.provision('dr-a');
    await fx.provision('dr-b');
    await fx.provision('dr-c');
    const uas = await fx.uas('core-uas.xml', await fx.register('dr-b'));
    const live = fx.call('core-call.xml', 'dr-a', 'dr-b', { durationMs: 1500 });
    const deadline = Date.now() + 5000;
    while (fx.server().calls.list().every((c) => c.state !== 'answered') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.equal(fx.server().calls.size, 1);
    let drained = false;
    const draining = fx.server().drain().then(() => (drained = true));
    // issue #15: a load balancer asking /health must hear that this server takes no new calls
    const health = await fx.api('GET', '/health');
    assert.equal(health.status, 503, JSON.stringify(health.body));
    assert.equal((health.body as { checks: Record<string, { ok: boolean }> }).checks.draining?.ok, false);
    const refused = await fx.call('core-expect-final-noauth.xml', 'dr-c', 'dr-b');
    assert.equal(finalStatus(refused), 503);
    assert.equal(drained, false, 'still waiting for the live call');
    const r = await live;
    assert.equal(r.code, 0, r.errors);
    assert.equal((await uas.done).code, 0);
    await draining;
    assert.equal(fx.server().calls.size, 0);
  });
});
