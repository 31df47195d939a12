import assert from 'node:assert/strict';
import { coreFixture, TENANT, TOKEN } from '../core/fixture';
import type { SseEvent } from '../../../console/src/model/sse-parser';
import { openEvents, type SseClient } from './sse-client';

interface RegData { tenant: string; user: string }
const data = (e: SseEvent): RegData => JSON.parse(e.data) as RegData;

/**
 * GET /v1/events tells what makes a console fetch a list again (issue 20): a user's
 * registrations, a tenant's park lot.
 */
describe('console: registration and park lot events on GET /v1/events', function () {
  this.timeout(60000);
  const fx = coreFixture();
  let stream: SseClient | undefined;
  afterEach(() => stream?.close());

  const listed = async (user: string): Promise<number> => {
    const body = (await fx.api('GET', `/v1/tenants/${TENANT}/registrations`)).body as { registrations: Array<{ user: string; bindings: unknown[] }> };
    return body.registrations.find((r) => r.user === user)?.bindings.length ?? 0;
  };

  it('registration.changed: a REGISTER that binds and one that removes the binding, each after the write (the list shows it)', async () => {
    await fx.provision('er-a');
    stream = await openEvents(fx.server().httpPort, TOKEN);
    assert.equal(stream.status, 200);
    const port = await fx.register('er-a');
    const bound = data(await stream.next((e) => e.event === 'registration.changed' && data(e).user === 'er-a', 20000));
    assert.deepEqual(bound, { tenant: TENANT, user: 'er-a' });
    assert.equal(await listed('er-a'), 1, 'a console that fetches the list on hearing it finds the phone');

    const seen = stream.events.length;
    await fx.register('er-a', { port, expires: 0 });
    await stream.next((e) => stream!.events.indexOf(e) >= seen && e.event === 'registration.changed' && data(e).user === 'er-a', 20000);
    assert.equal(await listed('er-a'), 0);
  });

  it('park.lot-changed: setting a tenant\'s lot is told to its consoles (the grid is fetched again), not to another tenant\'s', async () => {
    const other = await fx.api('POST', '/v1/tenants/other.example/tokens', {});
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const otherStream = await openEvents(fx.server().httpPort, (other.body as { token: string }).token);
    try {
      stream = await openEvents(fx.server().httpPort, TOKEN);
      const lot = { extension: '800', firstSlot: 801, lastSlot: 805, timeout: 60, announce: false };
      assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, lot)).status, 200);
      const e = await stream.next((x) => x.event === 'park.lot-changed', 20000);
      assert.deepEqual(JSON.parse(e.data), { tenant: TENANT });
      // the other tenant's stream carries its own lot's change, and that one only
      assert.equal((await fx.api('PUT', '/v1/tenants/other.example/park', lot)).status, 200);
      await otherStream.next((x) => x.event === 'park.lot-changed', 20000);
      assert.deepEqual(otherStream.events.filter((x) => x.event === 'park.lot-changed').map((x) => JSON.parse(x.data)), [{ tenant: 'other.example' }]);
    } finally {
      otherStream.close();
    }
  });
});
