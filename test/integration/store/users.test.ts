import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { UserRepository } from '../../../lib/store';
import { allKeys, assertKeyspace, startTestRedis, type TestRedis } from '../../support/redis';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('store: users', function () {
  this.timeout(20000);
  let redis: TestRedis;
  let users: UserRepository;

  before(async () => {
    redis = await startTestRedis();
    users = new UserRepository(redis.client);
  });
  after(async () => redis?.stop());
  beforeEach(async () => redis.flush());

  it('creates, then updates, reporting which', async () => {
    const a = await users.put('example.com', 'alice', { password: 'secret1', displayName: 'Alice', pickupGroups: ['sales'] });
    assert.equal(a.created, true);
    assert.equal(a.user.displayName, 'Alice');
    const b = await users.put('example.com', 'alice', { password: 'secret2', callGroups: ['support'], anonymousCallRejection: true, dialogWatchers: ['*'] });
    assert.equal(b.created, false);
    assert.equal(b.user.createdAt, a.user.createdAt, 'createdAt survives an update');
    const got = await users.get('example.com', 'alice');
    assert.deepEqual(got, {
      tenant: 'example.com', user: 'alice', pickupGroups: [], callGroups: ['support'], anonymousCallRejection: true, dialogWatchers: ['*'],
      createdAt: a.user.createdAt, updatedAt: got?.updatedAt,
    }, 'PUT replaces: displayName and pickupGroups are gone');
  });

  it('stores HA1 for the tenant realm, never the password', async () => {
    await users.put('Example.COM', 'bob', { password: 'pa55word' });
    const creds = await users.credentials('example.com', 'bob');
    assert.deepEqual(creds, {
      realm: 'example.com',
      ha1: md5('bob:example.com:pa55word'),
      ha1Sha256: sha256('bob:example.com:pa55word'),
    });
    for (const { key } of await allKeys(redis.client)) {
      const type = await redis.client.type(key);
      const values = type === 'hash' ? Object.values(await redis.client.hGetAll(key))
        : type === 'set' ? await redis.client.sMembers(key) : [];
      assert.ok(!values.some((v) => v.includes('pa55word')), `${key} holds the password`);
    }
    const record = await users.get('example.com', 'bob');
    assert.ok(record && !('ha1' in record) && !('realm' in record), 'the record carries no credentials');
  });

  it('lists a tenant sorted, keeps tenants apart, and is case-insensitive in the domain only', async () => {
    await users.put('example.com', 'carol', { password: 'xxxx' });
    await users.put('example.com', 'alice', { password: 'xxxx' });
    await users.put('other.net', 'alice', { password: 'yyyy' });
    assert.deepEqual((await users.list('EXAMPLE.com')).map((u) => u.user), ['alice', 'carol']);
    assert.deepEqual((await users.list('other.net')).map((u) => u.user), ['alice']);
    assert.equal(await users.get('example.com', 'Alice'), null, 'user parts are case-sensitive (RFC 3261 19.1.4)');
    assert.deepEqual(await users.list('nobody.org'), []);
  });

  it('deletes, leaving no key behind, and says whether there was anything', async () => {
    await users.put('example.com', 'alice', { password: 'xxxx', pickupGroups: ['a'] });
    await users.put('example.com', 'bob', { password: 'xxxx' });
    await assertKeyspace(redis.client);
    assert.equal(await users.delete('example.com', 'alice'), true);
    assert.equal(await users.delete('example.com', 'alice'), false);
    assert.equal(await users.get('example.com', 'alice'), null);
    assert.equal(await users.credentials('example.com', 'alice'), null);
    assert.deepEqual((await users.list('example.com')).map((u) => u.user), ['bob']);
    assert.equal(await users.delete('example.com', 'bob'), true);
    assert.deepEqual(await allKeys(redis.client), []);
  });

  it('survives concurrent PUTs of one user: exactly one reports created', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => users.put('example.com', 'dave', { password: `pw-${i}` })));
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(await redis.client.sCard('users:example.com'), 1);
  });

  it('update changes only the fields given, a password as new HA1, and never creates', async () => {
    const a = await users.put('Example.com', 'erin', { password: 'old-pw', displayName: 'Erin', pickupGroups: ['sales'], callGroups: ['ops'], dialogWatchers: ['*'] });
    const before = await users.credentials('example.com', 'erin');
    const b = await users.update('example.com', 'erin', { pickupGroups: ['support'], anonymousCallRejection: true });
    assert.deepEqual(b, { ...a.user, pickupGroups: ['support'], anonymousCallRejection: true, updatedAt: b?.updatedAt });
    assert.deepEqual(await users.credentials('example.com', 'erin'), before, 'no password given: the HA1 stays');
    await users.update('EXAMPLE.com', 'erin', { password: 'new-pw' });
    assert.deepEqual(await users.credentials('example.com', 'erin'), {
      realm: 'example.com', ha1: md5('erin:example.com:new-pw'), ha1Sha256: sha256('erin:example.com:new-pw'),
    });
    assert.deepEqual((await users.get('example.com', 'erin'))?.pickupGroups, ['support']);
    assert.equal(await users.update('example.com', 'nobody', { displayName: 'Ghost' }), null);
    assert.deepEqual(await allKeys(redis.client).then((ks) => ks.map((k) => k.key).sort()), ['user:example.com:erin', 'users:example.com']);
    await assertKeyspace(redis.client);
  });

  it('update racing delete never leaves the user behind', async () => {
    for (let i = 0; i < 30; i++) {
      await users.put('example.com', 'fay', { password: 'xxxx', callGroups: ['ops'] });
      const [updated, deleted] = await Promise.all([users.update('example.com', 'fay', { displayName: `n${i}` }), users.delete('example.com', 'fay')]);
      assert.equal(deleted, true, 'the user existed until the delete: a patch never removes it');
      if (updated) assert.deepEqual(updated.callGroups, ['ops'], 'a patch that ran saw the whole user');
      assert.deepEqual(await allKeys(redis.client), [], `round ${i}: nothing left after the delete`);
    }
  });
});
