import assert from 'node:assert/strict';
import { AUTH, buildApi, type TestApi } from './fakes';

const URL = '/v1/tenants/example.com/users/alice';

describe('api: users', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await buildApi();
  });
  afterEach(async () => api.app.close());

  const put = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    api.app.inject({ method: 'PUT', url, payload: payload as string, headers: { ...AUTH, ...headers } });

  it('creates (201 with Location), then replaces (200), never echoing the password', async () => {
    const created = await put(URL, { password: 'secret', displayName: 'Alice A.', pickupGroups: ['sales'], callGroups: ['sales', 'ops'] });
    assert.equal(created.statusCode, 201);
    assert.equal(created.headers.location, '/v1/tenants/example.com/users/alice');
    const body = created.json();
    assert.equal(body.user, 'alice');
    assert.equal(body.tenant, 'example.com');
    assert.deepEqual(body.callGroups, ['sales', 'ops']);
    assert.equal(body.anonymousCallRejection, false);
    assert.match(body.createdAt, /^\d{4}-\d\d-\d\dT/);
    assert.ok(!created.body.includes('secret'), 'no password in the response');
    const updated = await put(URL, { password: 'other', anonymousCallRejection: true });
    assert.equal(updated.statusCode, 200);
    assert.equal(updated.json().anonymousCallRejection, true);
    assert.equal(updated.json().displayName, undefined);
    assert.equal(api.users.passwords.get('example.com/alice'), 'other');
  });

  it('never returns credentials even if the store hands them over', async () => {
    await put(URL, { password: 'secret' });
    const rec = api.users.byKey.get('example.com/alice') as unknown as Record<string, unknown>;
    Object.assign(rec, { ha1: 'deadbeef', password: 'secret', realm: 'example.com' });
    const res = await api.app.inject({ method: 'GET', url: URL, headers: AUTH });
    assert.equal(res.statusCode, 200);
    for (const k of ['ha1', 'password', 'realm']) assert.ok(!(k in res.json()), k);
  });

  it('gets, lists and deletes; 404 {code, message} for unknown users', async () => {
    assert.deepEqual((await api.app.inject({ method: 'GET', url: URL, headers: AUTH })).json(),
      { code: 'E_NOT_FOUND', message: 'no user alice in example.com' });
    await put(URL, { password: 'secret' });
    await put('/v1/tenants/example.com/users/bob', { password: 'secret' });
    await put('/v1/tenants/other.net/users/carol', { password: 'secret' });
    assert.equal((await api.app.inject({ method: 'GET', url: URL, headers: AUTH })).statusCode, 200);
    const list = await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/users', headers: AUTH });
    assert.deepEqual(list.json().users.map((u: { user: string }) => u.user), ['alice', 'bob']);
    const del = await api.app.inject({ method: 'DELETE', url: URL, headers: AUTH });
    assert.equal(del.statusCode, 204);
    assert.equal(del.body, '');
    assert.deepEqual(api.registrations.unbound, ['example.com/alice'], "the user's registrations went too");
    assert.equal((await api.app.inject({ method: 'DELETE', url: URL, headers: AUTH })).statusCode, 404);
  });

  it('accepts any SIP user part characters (RFC 3261 25.1), escaped or not', async () => {
    for (const user of ['+15551234567', "a.b_c-d!~*'()", 'x%2Fy', 'a;b=c', 'a%2525b']) {
      const res = await put(`/v1/tenants/example.com/users/${user}`, { password: 'secret' });
      assert.equal(res.statusCode, 201, `${user}: ${res.body}`);
    }
  });

  const bad: Array<[string, string, unknown, RegExp]> = [
    ['no body', URL, undefined, /body must be object/],
    ['missing password', URL, { displayName: 'x' }, /body must have required property 'password'/],
    ['short password', URL, { password: 'abc' }, /body\/password must NOT have fewer than 4 characters/],
    ['long password', URL, { password: 'x'.repeat(129) }, /body\/password must NOT have more than 128 characters/],
    ['password not a string', URL, { password: 12345 }, /body\/password must be string/],
    ['unknown property', URL, { password: 'abcd', pasword: 'x' }, /body has unknown property 'pasword'/],
    ['boolean as string', URL, { password: 'abcd', anonymousCallRejection: 'true' }, /anonymousCallRejection must be boolean/],
    ['group not an array', URL, { password: 'abcd', pickupGroups: 'sales' }, /body\/pickupGroups must be array/],
    ['bad group name', URL, { password: 'abcd', callGroups: ['a b'] }, /body\/callGroups\/0 contains characters not allowed/],
    ['duplicate groups', URL, { password: 'abcd', callGroups: ['a', 'a'] }, /duplicate items/],
    ['control char in display name', URL, { password: 'abcd', displayName: 'a\r\nVia: x' }, /body\/displayName contains characters/],
    ['bad domain', '/v1/tenants/exa_mple..com/users/alice', { password: 'abcd' }, /params\/domain must be a valid hostname/],
    ['space in user', '/v1/tenants/example.com/users/al%20ice', { password: 'abcd' }, /params\/user contains characters not allowed/],
    ['@ in user', '/v1/tenants/example.com/users/a@b', { password: 'abcd' }, /params\/user contains characters/],
    ['colon in user', '/v1/tenants/example.com/users/a:b', { password: 'abcd' }, /params\/user contains characters/],
    ['long user', `/v1/tenants/example.com/users/${'u'.repeat(129)}`, { password: 'abcd' }, /params\/user must NOT have more than 128/],
    ['bad escape in user', '/v1/tenants/example.com/users/a%25zz', { password: 'abcd' }, /params\/user contains characters/],
  ];
  for (const [what, url, payload, message] of bad) {
    it(`400 E_BAD_REQUEST: ${what}`, async () => {
      const res = await put(url, payload);
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json();
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
      assert.equal(body.code, 'E_BAD_REQUEST');
      assert.match(body.message, message);
      assert.equal(api.users.byKey.size, 0);
    });
  }

  it('400 on invalid JSON, 415 on another content type, 413 on a huge body', async () => {
    const invalid = await put(URL, '{"password": ', { 'content-type': 'application/json' });
    assert.deepEqual(invalid.json(), { code: 'E_BAD_REQUEST', message: 'body is not valid JSON' });
    const empty = await put(URL, '', { 'content-type': 'application/json' });
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json().code, 'E_BAD_REQUEST');
    const text = await put(URL, 'password=abcd', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().code, 'E_UNSUPPORTED_MEDIA_TYPE');
    const huge = await put(URL, { password: 'abcd', displayName: 'x'.repeat(100 * 1024) });
    assert.equal(huge.statusCode, 413);
    assert.equal(huge.json().code, 'E_PAYLOAD_TOO_LARGE');
  });

  it('414 E_URI_TOO_LONG for a path segment beyond any schema, 400 for a malformed URL', async () => {
    const res = await put(`/v1/tenants/example.com/users/${'u'.repeat(400)}`, { password: 'abcd' });
    assert.equal(res.statusCode, 414);
    assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'message']);
    assert.equal(res.json().code, 'E_URI_TOO_LONG');
    const bad = await put('/v1/tenants/example.com/users/%E0%A4%A', { password: 'abcd' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'E_BAD_REQUEST');
  });

  it('validates the domain of the list route too', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/tenants/-bad-/users', headers: AUTH });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'E_BAD_REQUEST');
  });
});
