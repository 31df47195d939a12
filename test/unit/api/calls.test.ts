import assert from 'node:assert/strict';
import { AUTH, buildApi, sampleCall, type TestApi } from './fakes';

describe('api: calls and registrations', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await buildApi();
  });
  afterEach(async () => api.app.close());

  it('lists live calls, optionally for one tenant, with ISO times', async () => {
    api.calls.calls.set('c1', sampleCall('c1'));
    api.calls.calls.set('c2', { ...sampleCall('c2', 'other.net'), held: { caller: Date.UTC(2026, 0, 1, 0, 1) } });
    const all = await api.app.inject({ method: 'GET', url: '/v1/calls', headers: AUTH });
    assert.equal(all.statusCode, 200);
    assert.deepEqual(all.json().calls.map((c: { id: string }) => c.id), ['c1', 'c2']);
    assert.equal(all.json().calls[0].createdAt, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(all.json().calls[1].held, { caller: '2026-01-01T00:01:00.000Z' });
    const one = await api.app.inject({ method: 'GET', url: '/v1/calls?tenant=Other.NET', headers: AUTH });
    assert.deepEqual(one.json().calls.map((c: { id: string }) => c.id), ['c2']);
    const bad = await api.app.inject({ method: 'GET', url: '/v1/calls?tenant=x_y&other=1', headers: AUTH });
    assert.equal(bad.statusCode, 400);
  });

  it('gets one call or 404', async () => {
    api.calls.calls.set('c1', sampleCall('c1'));
    const res = await api.app.inject({ method: 'GET', url: '/v1/calls/c1', headers: AUTH });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().caller.uri, 'sip:alice@example.com');
    const missing = await api.app.inject({ method: 'GET', url: '/v1/calls/nope', headers: AUTH });
    assert.deepEqual(missing.json(), { code: 'E_NOT_FOUND', message: 'no call nope' });
    const bad = await api.app.inject({ method: 'GET', url: '/v1/calls/a%20b', headers: AUTH });
    assert.equal(bad.statusCode, 400);
  });

  it('hangs up: 204, then 404', async () => {
    api.calls.calls.set('c1', sampleCall('c1'));
    const res = await api.app.inject({ method: 'DELETE', url: '/v1/calls/c1', headers: AUTH });
    assert.equal(res.statusCode, 204);
    assert.deepEqual(api.calls.hungUp, ['c1']);
    assert.equal((await api.app.inject({ method: 'DELETE', url: '/v1/calls/c1', headers: AUTH })).statusCode, 404);
  });

  it("lists a tenant's registrations with expiry", async () => {
    const expiresAt = Date.UTC(2026, 0, 1, 1);
    api.registrations.byTenant.set('example.com', [{
      user: 'alice',
      bindings: [{ contact: 'sip:alice@192.0.2.1:5060', expires: 120, expiresAt, callId: 'c', cseq: 3, updatedAt: 0, received: 'udp:192.0.2.1:5060' }],
    }]);
    const res = await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/registrations', headers: AUTH });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      registrations: [{
        user: 'alice',
        bindings: [{ contact: 'sip:alice@192.0.2.1:5060', expires: 120, expiresAt: '2026-01-01T01:00:00.000Z', received: 'udp:192.0.2.1:5060' }],
      }],
    });
  });
});
