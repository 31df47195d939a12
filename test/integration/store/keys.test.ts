import assert from 'node:assert/strict';
import { keys, KEYSPACE, specOf } from '../../../lib/store';

describe('store: keyspace', () => {
  it('names keys with the tenant, lower-cased', () => {
    assert.equal(keys.user('Example.COM', 'Alice'), 'user:example.com:Alice');
    assert.equal(keys.users('example.com'), 'users:example.com');
    assert.equal(keys.registration('example.com', 'alice'), 'reg:example.com:alice');
    assert.equal(keys.call('abc'), 'call:abc');
    assert.equal(keys.calls(), 'calls');
    assert.equal(keys.nonceSecret(), 'digest:nonce-secret');
    assert.equal(keys.parkSlot('example.com', '701'), 'park:example.com:701');
    assert.equal(keys.pickupGroupRinging('example.com', 'sales'), 'pickup:example.com:sales');
    assert.equal(keys.conference('example.com', 'room1'), 'conf:example.com:room1');
    assert.equal(keys.conferenceMembers('example.com', 'room1'), 'confmembers:example.com:room1');
  });

  it('refuses a tenant that could forge or glob another key', () => {
    for (const bad of ['', 'a:b', 'ex*', 'ex?', 'a b', 'x[1]']) assert.throws(() => keys.user(bad, 'u'), TypeError, bad);
    assert.throws(() => keys.user('example.com', ''), TypeError);
  });

  it('declares every key function in KEYSPACE', () => {
    for (const [name, fn] of Object.entries(keys)) {
      const key = (fn as (...a: string[]) => string)('example.com', 'x', 'y', 'z');
      assert.ok(specOf(key), `keys.${name}() -> ${key} has no KEYSPACE line`);
    }
    assert.equal(new Set(KEYSPACE.map((s) => s.pattern)).size, KEYSPACE.length);
    assert.equal(specOf('conf:example.com:x')?.pattern, 'conf:*');
    assert.equal(specOf('confmembers:example.com:x')?.pattern, 'confmembers:*');
    assert.equal(specOf('unknown:1'), undefined);
  });
});
