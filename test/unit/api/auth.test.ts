import assert from 'node:assert/strict';
import { createApi } from '../../../lib/api';
import { AUTH, buildApi, silentLogger, TOKEN, type TestApi } from './fakes';

describe('api: bearer token', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await buildApi();
  });
  afterEach(async () => api.app.close());

  it('answers 401 {code, message} without a token, with a wrong one, or with another scheme', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, 'Bearer ', `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN} extra`]) {
      const res = await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/users', headers: authorization ? { authorization } : {} });
      assert.equal(res.statusCode, 401, String(authorization));
      const body = res.json();
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
      assert.equal(body.code, 'E_UNAUTHORIZED');
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    }
  });

  it('lets the right token through, whatever the case of "Bearer"', async () => {
    for (const authorization of [AUTH.authorization, `bearer ${TOKEN}`, `BEARER  ${TOKEN}`]) {
      const res = await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/users', headers: { authorization } });
      assert.equal(res.statusCode, 200, authorization);
    }
  });

  it('protects every /v1 route, also on methods that change state', async () => {
    const cases = [
      ['PUT', '/v1/tenants/example.com/users/alice'], ['DELETE', '/v1/tenants/example.com/users/alice'],
      ['GET', '/v1/tenants/example.com/registrations'], ['GET', '/v1/calls'], ['DELETE', '/v1/calls/x'],
    ] as const;
    for (const [method, url] of cases) {
      const res = await api.app.inject({ method, url, payload: method === 'PUT' ? { password: 'abcd' } : undefined });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
    }
    assert.equal(api.users.byKey.size, 0, 'nothing was created');
  });

  it('does not reveal which /v1 routes exist without a token; with one, unknown routes are 404 E_NOT_FOUND', async () => {
    assert.equal((await api.app.inject({ method: 'GET', url: '/v1/nothing-here' })).statusCode, 401);
    const res = await api.app.inject({ method: 'GET', url: '/v1/nothing-here', headers: AUTH });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { code: 'E_NOT_FOUND', message: 'no route GET /v1/nothing-here' });
    const other = await api.app.inject({ method: 'GET', url: '/elsewhere' });
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().code, 'E_NOT_FOUND');
  });

  it('leaves /health and /docs/json open', async () => {
    assert.equal((await api.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.equal((await api.app.inject({ method: 'GET', url: '/docs/json' })).statusCode, 200);
  });

  it('refuses to start without a token', async () => {
    await assert.rejects(buildApi({ token: '' }), /token/);
    await assert.rejects(createApi({ logger: silentLogger, token: '' } as never), /token/);
  });
});
