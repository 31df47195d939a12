import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import winston from 'winston';
import { createApi, type Api } from '../../../lib/api';
import {
  ApiTokenRepository, CallRepository, connectRedis, RegistrationRepository, redisHealthCheck, UserRepository, type CallRecord,
} from '../../../lib/store';
import { allKeys, assertKeyspace, startTestRedis, type TestRedis } from '../../support/redis';

const TOKEN = 'integration-token-42';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const logger = winston.createLogger({ silent: true });

function call(id: string): CallRecord {
  return {
    id, tenant: 'example.com', state: 'ringing', mediaCallId: `m-${id}`, createdAt: Date.now(), instanceId: 'fs-1',
    caller: { user: 'alice', tenant: 'example.com', callId: `a-${id}`, tag: 'ta', uri: 'sip:alice@example.com' },
    callee: { user: 'bob', tenant: 'example.com', callId: `b-${id}`, tag: 'tb', uri: 'sip:bob@example.com' },
  };
}

/** Provisioning through the REST API into a real Redis, and back out. */
describe('api + store: provisioning', function () {
  this.timeout(20000);
  let redis: TestRedis;
  let api: Api;
  let registrations: RegistrationRepository;
  let calls: CallRepository;

  before(async () => {
    redis = await startTestRedis();
    registrations = new RegistrationRepository(redis.client);
    calls = new CallRepository(redis.client);
    api = await createApi({
      logger, token: TOKEN, tenantTokens: new ApiTokenRepository(redis.client),
      health: async () => ({ redis: await redisHealthCheck(redis.client)() }),
      users: new UserRepository(redis.client),
      registrations,
      // lib/calls owns hanging up; here a hang-up just drops the record.
      calls: { list: () => calls.list(), get: (id) => calls.get(id), hangup: (id) => calls.remove(id) },
    });
  });
  after(async () => {
    await api?.app.close();
    await redis?.stop();
  });
  beforeEach(async () => redis.flush());

  it('stores a PUT user as HA1 for the tenant realm, never the password, and serves it back', async () => {
    const res = await api.app.inject({
      method: 'PUT', url: '/v1/tenants/Example.com/users/alice', headers: AUTH,
      payload: { password: 'correct horse', displayName: 'Alice', pickupGroups: ['sales'] },
    });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().tenant, 'example.com');
    const stored = await redis.client.hGetAll('user:example.com:alice');
    assert.equal(stored.ha1, createHash('md5').update('alice:example.com:correct horse').digest('hex'));
    assert.equal(stored.realm, 'example.com');
    for (const { key } of await allKeys(redis.client)) {
      const dump = JSON.stringify(await redis.client.type(key) === 'hash' ? await redis.client.hGetAll(key) : await redis.client.sMembers(key));
      assert.ok(!dump.includes('correct horse'), `${key} holds the password`);
    }
    const got = await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/users/alice', headers: AUTH });
    assert.equal(got.json().displayName, 'Alice');
    assert.ok(!got.body.includes(stored.ha1), 'no HA1 in the response');
    const again = await api.app.inject({ method: 'PUT', url: '/v1/tenants/example.com/users/alice', headers: AUTH, payload: { password: 'other' } });
    assert.equal(again.statusCode, 200);
    const list = await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/users', headers: AUTH });
    assert.deepEqual(list.json().users.map((u: { user: string }) => u.user), ['alice']);
  });

  it('lists registrations, and DELETE of the user removes them and leaves no key', async () => {
    await api.app.inject({ method: 'PUT', url: '/v1/tenants/example.com/users/bob', headers: AUTH, payload: { password: 'abcd' } });
    await registrations.bind('example.com', 'bob', { contact: 'sip:bob@192.0.2.5:5062', expires: 300, callId: 'r1', cseq: 1, received: 'udp:198.51.100.1:1024' });
    await assertKeyspace(redis.client);
    const regs = await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/registrations', headers: AUTH });
    const [entry] = regs.json().registrations;
    assert.equal(entry.user, 'bob');
    assert.equal(entry.bindings[0].contact, 'sip:bob@192.0.2.5:5062');
    assert.equal(entry.bindings[0].received, 'udp:198.51.100.1:1024');
    assert.ok(entry.bindings[0].expires > 290 && entry.bindings[0].expires <= 300);
    assert.ok(Date.parse(entry.bindings[0].expiresAt) > Date.now());
    const del = await api.app.inject({ method: 'DELETE', url: '/v1/tenants/example.com/users/bob', headers: AUTH });
    assert.equal(del.statusCode, 204);
    assert.deepEqual(await allKeys(redis.client), []);
    assert.equal((await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/users/bob', headers: AUTH })).statusCode, 404);
  });

  it('shows and hangs up live calls', async () => {
    await calls.save(call('c1'));
    const list = await api.app.inject({ method: 'GET', url: '/v1/calls', headers: AUTH });
    assert.deepEqual(list.json().calls.map((c: { id: string }) => c.id), ['c1']);
    assert.equal((await api.app.inject({ method: 'GET', url: '/v1/calls/c1', headers: AUTH })).json().state, 'ringing');
    assert.equal((await api.app.inject({ method: 'DELETE', url: '/v1/calls/c1', headers: AUTH })).statusCode, 204);
    assert.equal((await api.app.inject({ method: 'GET', url: '/v1/calls/c1', headers: AUTH })).statusCode, 404);
    assert.deepEqual(await allKeys(redis.client), []);
  });

  it('keeps tenant tokens only as hashes; a token reaches its tenant until revoked, and revoking leaves no key', async () => {
    const made = await api.app.inject({ method: 'POST', url: '/v1/tenants/Example.com/tokens', headers: AUTH });
    assert.equal(made.statusCode, 201);
    const { id, token } = made.json() as { id: string; token: string };
    assert.match(token, /^fst_[A-Za-z0-9_-]{43}$/);
    const keys = await allKeys(redis.client);
    assert.deepEqual(keys.map((k) => k.key.split(':')[0]).sort(), ['apitoken', 'apitokens']);
    for (const { key } of keys) {
      const dump = JSON.stringify(await redis.client.type(key) === 'hash' ? await redis.client.hGetAll(key) : await redis.client.get(key));
      assert.ok(!dump.includes(token) && !dump.includes(token.slice(4)), `${key} holds the token itself`);
    }
    await assertKeyspace(redis.client);
    const tenantAuth = { authorization: `Bearer ${token}` };
    assert.equal((await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/users', headers: tenantAuth })).statusCode, 200);
    assert.equal((await api.app.inject({ method: 'GET', url: '/v1/tenants/other.net/users', headers: tenantAuth })).statusCode, 403);
    const listed = await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/tokens', headers: AUTH });
    assert.deepEqual(listed.json().tokens.map((t: { id: string }) => t.id), [id]);
    assert.equal((await api.app.inject({ method: 'DELETE', url: `/v1/tenants/example.com/tokens/${id}`, headers: AUTH })).statusCode, 204);
    assert.equal((await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/users', headers: tenantAuth })).statusCode, 401);
    assert.deepEqual(await allKeys(redis.client), []);
  });

  it('reports Redis in /health, and answers 503 E_UNAVAILABLE when the store is down', async () => {
    const ok = await api.app.inject({ method: 'GET', url: '/health' });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().checks.redis.ok, true);

    const down = await connectRedis(redis.url, logger);
    await down.close();
    const broken = await createApi({
      logger, token: TOKEN, tenantTokens: new ApiTokenRepository(down.client), health: async () => ({ redis: await redisHealthCheck(down.client)() }),
      users: new UserRepository(down.client), registrations: new RegistrationRepository(down.client),
      calls: { list: async () => [], get: async () => null, hangup: async () => false },
    });
    const health = await broken.app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 503);
    assert.deepEqual(health.json().checks.redis, { ok: false, detail: 'not connected' });
    const res = await broken.app.inject({ method: 'GET', url: '/v1/tenants/example.com/users', headers: AUTH });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), { code: 'E_UNAVAILABLE', message: 'state store unavailable' });
    await broken.app.close();
  });
});
