import assert from 'node:assert/strict';
import { defineErrors, errors, tenantFrom, type ApiRouter } from '../../../lib/api';
import { bearerToken } from '../../../lib/api/auth';
import { AUTH, buildApi, sampleCall, type TestApi } from './fakes';

const thingErrors = defineErrors({ E_THING_NOT_FOUND: { status: 404, message: 'no such thing' } });
const things = new Map([['t1', { id: 't1', tenant: 'example.com' }], ['t2', { id: 't2', tenant: 'other.net' }]]);

/** Feature-like routes declaring each kind of tenant source, and one declaring none. */
function featureRoutes(api: ApiRouter): void {
  api.post<{ Body: { tenant: string } }>('/widgets', {
    tenant: tenantFrom.body('tenant'),
    schema: { body: { type: 'object', required: ['tenant'], properties: { tenant: { type: 'string' } } } },
  }, async (req) => ({ made: req.body.tenant }));
  api.get<{ Querystring: { tenant: string } }>('/widgets', {
    tenant: tenantFrom.query('tenant'),
    schema: { querystring: { type: 'object', required: ['tenant'], properties: { tenant: { type: 'string' } } } },
  }, async (req) => ({ tenant: req.query.tenant }));
  api.get<{ Params: { id: string } }>('/things/:id', { tenant: tenantFrom.resource }, async (req) => {
    const t = things.get(req.params.id);
    if (!t || !req.apiScope.allows(t.tenant)) throw thingErrors.E_THING_NOT_FOUND();
    return t;
  });
  api.get('/things', { tenant: tenantFrom.resource }, async (req) => ({ things: req.apiScope.filter([...things.values()], (t) => t.tenant) }));
  api.post('/maintenance', {}, async () => ({ done: true }));
}

describe('api: tenant tokens and route scopes', () => {
  let api: TestApi;
  let exampleAuth: { authorization: string };
  let exampleTokenId: string;
  beforeEach(async () => {
    api = await buildApi();
    featureRoutes(api.router);
    const made = await api.app.inject({ method: 'POST', url: '/v1/tenants/Example.COM/tokens', headers: AUTH });
    assert.equal(made.statusCode, 201);
    exampleAuth = { authorization: `Bearer ${made.json().token}` };
    exampleTokenId = made.json().id;
  });
  afterEach(async () => api.app.close());

  const get = (url: string, headers: Record<string, string>) => api.app.inject({ method: 'GET', url, headers });

  it('creates a token shown once (no-store), lists ids and times only, revokes by id', async () => {
    const made = await api.app.inject({ method: 'POST', url: '/v1/tenants/example.com/tokens', headers: AUTH });
    assert.equal(made.statusCode, 201);
    assert.equal(made.headers['cache-control'], 'no-store');
    assert.deepEqual(Object.keys(made.json()).sort(), ['createdAt', 'id', 'tenant', 'token']);
    const listed = await get('/v1/tenants/example.com/tokens', AUTH);
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.json().tokens.map((t: { id: string }) => t.id), [exampleTokenId, made.json().id]);
    assert.ok(!listed.body.includes(made.json().token), 'the list never shows a token');
    assert.deepEqual((await get('/v1/tenants/other.net/tokens', AUTH)).json(), { tokens: [] });
    const gone = await api.app.inject({ method: 'DELETE', url: `/v1/tenants/other.net/tokens/${exampleTokenId}`, headers: AUTH });
    assert.equal(gone.statusCode, 404, 'a token is revoked through its own tenant only');
    assert.equal((await api.app.inject({ method: 'DELETE', url: `/v1/tenants/example.com/tokens/${exampleTokenId}`, headers: AUTH })).statusCode, 204);
  });

  it('lets a tenant token reach its own tenant (any case of the domain) and refuses others with 403 E_FORBIDDEN_TENANT', async () => {
    await api.users.put('other.net', 'eve', { password: 'secret' });
    for (const url of ['/v1/tenants/example.com/users', '/v1/tenants/EXAMPLE.com/users', '/v1/tenants/example.com/registrations']) {
      assert.equal((await get(url, exampleAuth)).statusCode, 200, url);
    }
    for (const url of ['/v1/tenants/other.net/users', '/v1/tenants/other.net/users/eve', '/v1/tenants/other.net/registrations']) {
      const res = await get(url, exampleAuth);
      assert.equal(res.statusCode, 403, url);
      assert.equal(res.json().code, 'E_FORBIDDEN_TENANT');
    }
    const put = await api.app.inject({ method: 'PUT', url: '/v1/tenants/other.net/users/eve', headers: exampleAuth, payload: { password: 'hijack' } });
    assert.equal(put.statusCode, 403);
    assert.equal(api.users.passwords.get('other.net/eve'), 'secret', 'nothing changed');
    const del = await api.app.inject({ method: 'DELETE', url: '/v1/tenants/other.net/users/eve', headers: exampleAuth });
    assert.equal(del.statusCode, 403);
    assert.ok(await api.users.get('other.net', 'eve'));
    const mine = await api.app.inject({ method: 'PUT', url: '/v1/tenants/example.com/users/alice', headers: exampleAuth, payload: { password: 'abcd' } });
    assert.equal(mine.statusCode, 201);
  });

  it('checks a tenant named in the body or the query the same way', async () => {
    const ok = await api.app.inject({ method: 'POST', url: '/v1/widgets', headers: exampleAuth, payload: { tenant: 'Example.com' } });
    assert.equal(ok.statusCode, 200);
    const no = await api.app.inject({ method: 'POST', url: '/v1/widgets', headers: exampleAuth, payload: { tenant: 'other.net' } });
    assert.equal(no.statusCode, 403);
    assert.equal(no.json().code, 'E_FORBIDDEN_TENANT');
    assert.equal((await get('/v1/widgets?tenant=example.com', exampleAuth)).statusCode, 200);
    assert.equal((await get('/v1/widgets?tenant=other.net', exampleAuth)).statusCode, 403);
    assert.equal((await get('/v1/widgets?tenant=other.net', AUTH)).statusCode, 200, 'the operator reaches every tenant');
  });

  it("hides another tenant's resources as not found, and filters lists", async () => {
    assert.equal((await get('/v1/things/t1', exampleAuth)).statusCode, 200);
    const other = await get('/v1/things/t2', exampleAuth);
    assert.equal(other.statusCode, 404);
    assert.deepEqual(other.json(), (await get('/v1/things/t3', exampleAuth)).json(), 'indistinguishable from a missing one');
    assert.deepEqual((await get('/v1/things', exampleAuth)).json().things.map((t: { id: string }) => t.id), ['t1']);
    assert.deepEqual((await get('/v1/things', AUTH)).json().things.map((t: { id: string }) => t.id), ['t1', 't2']);
  });

  it('keeps live calls of other tenants out of sight and out of reach', async () => {
    api.calls.calls.set('c1', sampleCall('c1'));
    api.calls.calls.set('c2', sampleCall('c2', 'other.net'));
    assert.deepEqual((await get('/v1/calls', exampleAuth)).json().calls.map((c: { id: string }) => c.id), ['c1']);
    assert.deepEqual((await get('/v1/calls', AUTH)).json().calls.map((c: { id: string }) => c.id), ['c1', 'c2']);
    assert.equal((await get('/v1/calls?tenant=other.net', exampleAuth)).statusCode, 403);
    assert.equal((await get('/v1/calls/c2', exampleAuth)).statusCode, 404);
    assert.equal((await get('/v1/calls/c1', exampleAuth)).statusCode, 200);
    const hang = await api.app.inject({ method: 'DELETE', url: '/v1/calls/c2', headers: exampleAuth });
    assert.equal(hang.statusCode, 404);
    assert.deepEqual(api.calls.hungUp, []);
    assert.equal((await api.app.inject({ method: 'DELETE', url: '/v1/calls/c1', headers: exampleAuth })).statusCode, 204);
  });

  it('keeps a route that declares no tenant, and the token routes, for the operator', async () => {
    const res = await api.app.inject({ method: 'POST', url: '/v1/maintenance', headers: exampleAuth });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().code, errors.E_OPERATOR_ONLY.code);
    assert.equal((await api.app.inject({ method: 'POST', url: '/v1/maintenance', headers: AUTH })).statusCode, 200);
    for (const [method, url] of [['POST', '/v1/tenants/example.com/tokens'], ['GET', '/v1/tenants/example.com/tokens'],
      ['DELETE', `/v1/tenants/example.com/tokens/${exampleTokenId}`]] as const) {
      assert.equal((await api.app.inject({ method, url, headers: exampleAuth })).statusCode, 403, `${method} ${url}`);
    }
    assert.equal(api.tenantTokens.byToken.size, 1, 'the tenant token minted and revoked nothing');
    const unknown = await get('/v1/nothing-here', exampleAuth);
    assert.equal(unknown.statusCode, 404, 'an unknown route is still just not found');
  });

  it('answers 401 to a revoked token at once', async () => {
    assert.equal((await get('/v1/tenants/example.com/users', exampleAuth)).statusCode, 200);
    assert.equal((await api.app.inject({ method: 'DELETE', url: `/v1/tenants/example.com/tokens/${exampleTokenId}`, headers: AUTH })).statusCode, 204);
    const res = await get('/v1/tenants/example.com/users', exampleAuth);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'E_UNAUTHORIZED');
    assert.match(String(res.headers['www-authenticate']), /invalid_token/);
  });

  it('documents each route\'s token scope and still the bearer scheme in OpenAPI', async () => {
    const doc = (await get('/docs/json', {})).json();
    assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });
    assert.match(doc.paths['/v1/tenants/{domain}/tokens'].post.description, /operator token only/);
    assert.match(doc.paths['/v1/tenants/{domain}/users'].get.description, /tenant token of the tenant named by param `domain`/);
  });

  it('reads the bearer token with a bounded linear scanner', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer \t abc \t'), 'abc');
    for (const bad of [undefined, '', 'Bearer', 'Bearer ', 'Bearerabc', 'Basic abc', 'Bearer a b', `Bearer ${'x'.repeat(600)}`]) {
      assert.equal(bearerToken(bad), undefined, String(bad));
    }
  });
});
