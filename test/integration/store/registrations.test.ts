import assert from 'node:assert/strict';
import { RegistrationRepository, type BindingInput } from '../../../lib/store';
import { allKeys, assertKeyspace, pollUntil, startTestRedis, type TestRedis } from '../../support/redis';

const T = 'example.com';

function contact(n: number, over: Partial<BindingInput> = {}): BindingInput {
  return { contact: `sip:alice@10.0.0.${n}:5060`, expires: 3600, callId: `reg-${n}`, cseq: 1, ...over };
}

describe('store: registrations (location service)', function () {
  this.timeout(20000);
  let redis: TestRedis;
  let regs: RegistrationRepository;

  before(async () => {
    redis = await startTestRedis();
    regs = new RegistrationRepository(redis.client);
  });
  after(async () => redis?.stop());
  beforeEach(async () => redis.flush());

  it('binds several contacts per user with their remaining expiry and everything the registrar passed', async () => {
    const r1 = await regs.bind(T, 'alice', contact(1, { expires: 600, received: 'udp:192.0.2.7:40000', instance: '<urn:uuid:1>', userAgent: 'Phone/1.0' }));
    assert.equal(r1.ok, true);
    const r2 = await regs.bind(T, 'alice', contact(2, { expires: 3600 }));
    assert.ok(r2.ok);
    assert.deepEqual(r2.bindings.map((b) => b.contact), ['sip:alice@10.0.0.2:5060', 'sip:alice@10.0.0.1:5060'], 'latest expiry first');
    const found = await regs.lookup(T, 'alice');
    assert.equal(found.length, 2);
    const b1 = found.find((b) => b.contact.endsWith('.1:5060'));
    assert.ok(b1);
    assert.ok(b1.expires > 590 && b1.expires <= 600, `expires ${b1.expires}`);
    assert.equal(b1.received, 'udp:192.0.2.7:40000');
    assert.equal(b1.instance, '<urn:uuid:1>');
    assert.equal(b1.userAgent, 'Phone/1.0');
    assert.equal(b1.callId, 'reg-1');
    assert.equal(b1.cseq, 1);
    assert.deepEqual(await regs.lookup(T, 'bob'), []);
  });

  it('RFC 3261 10.3 step 7: same Call-ID with a CSeq not higher is refused (500), higher refreshes, another Call-ID replaces', async () => {
    await regs.bind(T, 'alice', contact(1, { cseq: 5, expires: 100 }));
    for (const cseq of [5, 4]) {
      const r = await regs.bind(T, 'alice', contact(1, { cseq, expires: 900 }));
      assert.deepEqual(r, { ok: false, reason: 'out-of-order', contact: 'sip:alice@10.0.0.1:5060', sipStatus: 500 });
    }
    assert.ok((await regs.lookup(T, 'alice'))[0].expires <= 100, 'the refused request changed nothing');
    const higher = await regs.bind(T, 'alice', contact(1, { cseq: 6, expires: 900 }));
    assert.ok(higher.ok && higher.bindings[0].expires > 100 && higher.bindings[0].cseq === 6);
    // A rebooted phone starts a new Call-ID at a low CSeq: that is an update, not a replay.
    const rebooted = await regs.bind(T, 'alice', contact(1, { callId: 'after-reboot', cseq: 1, expires: 300 }));
    assert.ok(rebooted.ok && rebooted.bindings[0].callId === 'after-reboot');
    // expires 0 is a removal and follows the same rule
    assert.equal((await regs.bind(T, 'alice', contact(1, { callId: 'after-reboot', cseq: 1, expires: 0 }))).ok, false);
    assert.ok((await regs.bind(T, 'alice', contact(1, { callId: 'after-reboot', cseq: 2, expires: 0 }))).ok);
    assert.deepEqual(await regs.lookup(T, 'alice'), []);
    assert.deepEqual(await allKeys(redis.client), [], 'removing the last binding removed the keys');
  });

  it('applies the contacts of one REGISTER all or nothing', async () => {
    await regs.bind(T, 'alice', contact(1, { callId: 'same', cseq: 10 }));
    const r = await regs.bind(T, 'alice', [contact(2, { callId: 'same', cseq: 10 }), contact(1, { callId: 'same', cseq: 10 })]);
    assert.equal(r.ok, false);
    assert.deepEqual((await regs.lookup(T, 'alice')).map((b) => b.contact), ['sip:alice@10.0.0.1:5060'], 'contact 2 was not added');
  });

  it('expires bindings for real: lookups drop them, then the keys go', async () => {
    await regs.bind(T, 'alice', contact(1, { expires: 1 }));
    await regs.bind(T, 'alice', contact(2, { expires: 2 }));
    await regs.bind(T, 'bob', contact(3, { expires: 1 }));
    const ttl = await redis.client.pTTL('reg:example.com:alice');
    assert.ok(ttl > 1000 && ttl <= 2000, `the user's key expires with its latest binding (pttl ${ttl})`);
    const one = await pollUntil(() => regs.lookup(T, 'alice'), (l) => l.length === 1, 5000, 'first binding expired');
    assert.equal(one[0].contact, 'sip:alice@10.0.0.2:5060');
    assert.equal(one[0].expires, 1);
    await pollUntil(() => regs.lookup(T, 'alice'), (l) => l.length === 0, 5000, 'second binding expired');
    assert.deepEqual(await regs.list(T), []);
    await pollUntil(() => allKeys(redis.client), (k) => k.length === 0, 5000, 'every key gone by TTL');
  });

  it('prunes expired contacts on the next write and keeps the TTL on the latest', async () => {
    await regs.bind(T, 'alice', contact(1, { expires: 1 }));
    await regs.bind(T, 'alice', contact(2, { expires: 60 }));
    await pollUntil(() => regs.lookup(T, 'alice'), (l) => l.length === 1, 5000, 'first binding expired');
    await regs.bind(T, 'alice', contact(2, { expires: 60, cseq: 2 }));
    assert.deepEqual(await redis.client.hKeys('reg:example.com:alice'), ['sip:alice@10.0.0.2:5060']);
    assert.deepEqual(await regs.unbind(T, 'alice', 'sip:alice@10.0.0.2:5060'), []);
    assert.deepEqual(await allKeys(redis.client), []);
  });

  it('gives every key it creates a TTL', async () => {
    await regs.bind(T, 'alice', contact(1, { expires: 30 }));
    await regs.bind(T, 'bob', contact(2, { expires: 90 }));
    await regs.bind('other.net', 'carol', contact(3, { expires: 60 }));
    const found = await assertKeyspace(redis.client);
    assert.deepEqual(found.map((k) => k.key), ['reg:example.com:alice', 'reg:example.com:bob', 'reg:other.net:carol', 'regs:example.com', 'regs:other.net']);
    const index = found.find((k) => k.key === 'regs:example.com');
    assert.ok(index && index.pttl > 80000 && index.pttl <= 90000, "the tenant index lives as long as its latest user's bindings");
  });

  it('lists a tenant by user; unbind and unbindAll remove contacts', async () => {
    await regs.bind(T, 'bob', contact(1));
    await regs.bind(T, 'alice', contact(2));
    await regs.bind(T, 'alice', contact(3));
    await regs.bind('other.net', 'zed', contact(4));
    const list = await regs.list(T);
    assert.deepEqual(list.map((e) => [e.user, e.bindings.length]), [['alice', 2], ['bob', 1]]);
    assert.deepEqual((await regs.unbind(T, 'alice', 'sip:alice@10.0.0.2:5060')).map((b) => b.contact), ['sip:alice@10.0.0.3:5060']);
    assert.deepEqual(await regs.unbindAll(T, 'alice'), { ok: true, bindings: [] });
    assert.deepEqual((await regs.list(T)).map((e) => e.user), ['bob']);
  });

  it('RFC 3261 10.3 step 6: Contact: * with a stale CSeq is refused', async () => {
    await regs.bind(T, 'alice', contact(1, { callId: 'x', cseq: 7 }));
    await regs.bind(T, 'alice', contact(2, { callId: 'y', cseq: 1 }));
    assert.deepEqual(await regs.unbindAll(T, 'alice', { callId: 'x', cseq: 7 }),
      { ok: false, reason: 'out-of-order', contact: 'sip:alice@10.0.0.1:5060', sipStatus: 500 });
    assert.equal((await regs.lookup(T, 'alice')).length, 2);
    assert.deepEqual(await regs.unbindAll(T, 'alice', { callId: 'x', cseq: 8 }), { ok: true, bindings: [] });
    assert.deepEqual(await allKeys(redis.client), []);
  });

  it('rejects malformed input before touching Redis', async () => {
    await assert.rejects(regs.bind(T, 'alice', contact(1, { expires: -1 })), TypeError);
    await assert.rejects(regs.bind(T, 'alice', contact(1, { cseq: 2 ** 32 })), TypeError);
    await assert.rejects(regs.bind(T, 'alice', contact(1, { contact: '' })), TypeError);
    await assert.rejects(regs.lookup('bad:tenant', 'alice'), TypeError);
  });
});
