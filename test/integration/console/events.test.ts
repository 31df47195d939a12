import assert from 'node:assert/strict';
import { coreFixture, TENANT, TOKEN } from '../core/fixture';
import { openEvents, type SseClient } from './sse-client';

interface CallData { change: string; id: string; state: string; caller: { user: string }; callee: { user: string }; createdAt: string; reason?: string }

/** GET /v1/events (issue 20): the console's live feed. */
describe('console: GET /v1/events', function () {
  this.timeout(40000);
  const fx = coreFixture();
  const open: SseClient[] = [];
  const events = async (token: string | undefined, path?: string): Promise<SseClient> => {
    const c = await openEvents(fx.server().httpPort, token, path);
    open.push(c);
    return c;
  };
  afterEach(() => open.splice(0).forEach((c) => c.close()));

  it('refuses a request without the token, or with a wrong one (401)', async () => {
    assert.equal((await events(undefined)).status, 401);
    assert.equal((await events('not-the-token')).status, 401);
  });

  it('streams a call\'s changes as it is answered and ends, with the parties', async () => {
    await fx.provision('ev-a');
    await fx.provision('ev-b');
    const stream = await events(TOKEN);
    assert.equal(stream.status, 200);
    assert.match(stream.contentType, /^text\/event-stream/);
    const uas = await fx.uas('core-uas.xml', await fx.register('ev-b'));
    const ra = await fx.call('core-call.xml', 'ev-a', 'ev-b', { durationMs: 300 });
    assert.equal(ra.code, 0, ra.errors);
    assert.equal((await uas.done).code, 0);
    const isCall = (change: string) => (e: { event: string; data: string }): boolean => e.event === 'call' && (JSON.parse(e.data) as CallData).change === change
      && (JSON.parse(e.data) as CallData).caller.user === 'ev-a';
    const answered = JSON.parse((await stream.next(isCall('answered'))).data) as CallData;
    assert.equal(answered.state, 'answered');
    assert.equal(answered.callee.user, 'ev-b');
    assert.ok(!Number.isNaN(Date.parse(answered.createdAt)));
    const ended = JSON.parse((await stream.next(isCall('ended'))).data) as CallData;
    assert.equal(ended.id, answered.id);
    assert.equal(ended.state, 'ended');
  });

  it('a tenant token hears its own tenant\'s calls only', async () => {
    const other = await fx.api('POST', '/v1/tenants/other.example/tokens', {});
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const mine = await fx.api('POST', `/v1/tenants/${TENANT}/tokens`, {});
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    const otherStream = await events((other.body as { token: string }).token);
    const myStream = await events((mine.body as { token: string }).token);
    await fx.provision('et-a');
    await fx.provision('et-b');
    const uas = await fx.uas('core-uas.xml', await fx.register('et-b'));
    assert.equal((await fx.call('core-call.xml', 'et-a', 'et-b', { durationMs: 100 })).code, 0);
    await uas.done;
    await myStream.next((e) => e.event === 'call' && (JSON.parse(e.data) as CallData).change === 'ended');
    // the other tenant's stream was open all along and heard none of it (it was attached first, so a frame for it would have been written first)
    assert.deepEqual(otherStream.events.filter((e) => e.event === 'call'), []);
  });
});
