import assert from 'node:assert/strict';
import { AUTH, buildApi, type TestApi } from './fakes';

const URL = '/v1/tenants/example.com/users/alice';

/** PATCH of a user (issue 20): the fields given change, the others and the password stay. */
describe('api: PATCH a user', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await buildApi();
  });
  afterEach(async () => api.app.close());

  const send = (method: 'PUT' | 'PATCH', url: string, payload: unknown, headers: Record<string, string> = AUTH) =>
    api.app.inject({ method, url, payload: payload as string, headers });

  it('changes the fields given and keeps the others; the password only when given', async () => {
    await send('PUT', URL, { password: 'secret', displayName: 'Alice', pickupGroups: ['sales'], callGroups: ['ops'], dialogWatchers: ['bob'] });
    const res = await send('PATCH', URL, { pickupGroups: ['support'], anonymousCallRejection: true });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual([body.displayName, body.pickupGroups, body.callGroups, body.dialogWatchers, body.anonymousCallRejection],
      ['Alice', ['support'], ['ops'], ['bob'], true]);
    assert.equal(api.users.passwords.get('example.com/alice'), 'secret', 'no password given: none set');
    const pw = await send('PATCH', URL, { password: 'n3w-secret' });
    assert.equal(pw.statusCode, 200);
    assert.ok(!pw.body.includes('n3w-secret'), 'no password in the response');
    assert.equal(api.users.passwords.get('example.com/alice'), 'n3w-secret');
    assert.deepEqual(pw.json().pickupGroups, ['support']);
  });

  it('never creates: 404 E_NOT_FOUND for an unknown user', async () => {
    const res = await send('PATCH', URL, { displayName: 'Ghost' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { code: 'E_NOT_FOUND', message: 'no user alice in example.com' });
    assert.equal(api.users.byKey.size, 0);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['empty body', {}, /body must NOT have fewer than 1 properties/],
    ['unknown property', { pasword: 'abcd' }, /body has unknown property 'pasword'/],
    ['short password', { password: 'abc' }, /body\/password must NOT have fewer than 4 characters/],
    ['bad group name', { callGroups: ['a b'] }, /body\/callGroups\/0 contains characters not allowed/],
    ['no body', undefined, /body must be object/],
  ];
  for (const [what, payload, message] of bad) {
    it(`400 E_BAD_REQUEST: ${what}`, async () => {
      await send('PUT', URL, { password: 'secret', callGroups: ['ops'] });
      const res = await send('PATCH', URL, payload);
      assert.equal(res.statusCode, 400, res.body);
      assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'message']);
      assert.equal(res.json().code, 'E_BAD_REQUEST');
      assert.match(res.json().message, message);
      assert.deepEqual(api.users.byKey.get('example.com/alice')?.callGroups, ['ops'], 'nothing changed');
    });
  }

  it("a tenant token cannot PATCH another tenant's user: 403 E_FORBIDDEN_TENANT, nothing changed", async () => {
    const made = await api.app.inject({ method: 'POST', url: '/v1/tenants/example.com/tokens', headers: AUTH });
    const tenantAuth = { authorization: `Bearer ${made.json().token}` };
    await api.users.put('other.net', 'eve', { password: 'secret' });
    const res = await send('PATCH', '/v1/tenants/other.net/users/eve', { password: 'hijack' }, tenantAuth);
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().code, 'E_FORBIDDEN_TENANT');
    assert.equal(api.users.passwords.get('other.net/eve'), 'secret');
    await send('PUT', URL, { password: 'secret' });
    assert.equal((await send('PATCH', URL, { displayName: 'Mine' }, tenantAuth)).statusCode, 200);
  });
});
