import assert from 'node:assert/strict';
import { answer } from '../../support/digest-client';
import { UdpPhone, type Reply } from '../auth/udp-phone';
import { coreFixture, TENANT } from '../core/fixture';

/**
 * PATCH of a user (issue 20) against the whole server: a phone's REGISTER with digest
 * credentials tells which password the server holds, so "PATCH keeps the password" is
 * seen where it matters, not only in the store.
 */
describe('api: PATCH a user, end to end', function () {
  this.timeout(60000);
  const fx = coreFixture();
  const phones: UdpPhone[] = [];
  // a loopback address per phone: a wrong password counts against its source only
  let nextAddress = 60;
  let cseq = 1;

  afterEach(() => {
    for (const p of phones.splice(0)) p.close();
  });

  const userPath = (user: string, tenant = TENANT): string => `/v1/tenants/${tenant}/users/${user}`;

  /** REGISTER as `user` with `password` from a new phone: 401 challenge, then the credentials; the final reply */
  async function register(user: string, password: string): Promise<Reply> {
    const p = await new UdpPhone(`127.0.0.${nextAddress++}`, { host: '127.0.0.1', port: fx.sipPort() }).start();
    phones.push(p);
    const uri = `sip:127.0.0.1:${fx.sipPort()}`;
    const aor = `<sip:${user}@${TENANT}>`;
    const spec = { method: 'REGISTER' as const, uri, from: aor, to: aor, callId: `patch-${user}-${p.address}` };
    const challenge = await p.send({ ...spec, cseq: cseq++, headers: { Contact: p.contact, Expires: '60' } });
    assert.equal(challenge.status, 401, challenge.raw);
    const auth = answer(challenge.headers.get('www-authenticate')?.[0] ?? '', { user, password, method: 'REGISTER', uri });
    return p.send({ ...spec, cseq: cseq++, headers: { Contact: p.contact, Expires: '60', Authorization: auth } });
  }

  it('PATCH of the groups keeps the password: the phone still registers with it', async () => {
    await fx.provision('pa-ann', 'ann-secret', { displayName: 'Ann', callGroups: ['ops'] });
    const res = await fx.api('PATCH', userPath('pa-ann'), { pickupGroups: ['sales'], callGroups: ['sales', 'ops'], dialogWatchers: ['*'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const body = res.body as Record<string, unknown>;
    assert.deepEqual([body.displayName, body.pickupGroups, body.callGroups], ['Ann', ['sales'], ['sales', 'ops']]);
    assert.ok(!JSON.stringify(body).includes('ann-secret'));
    assert.equal((await register('pa-ann', 'ann-secret')).status, 200);
  });

  it('PATCH of the password changes it: the old one is refused, the new one registers; the groups stay', async () => {
    await fx.provision('pa-bob', 'old-secret', { callGroups: ['ops'] });
    const res = await fx.api('PATCH', userPath('pa-bob'), { password: 'new-secret' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual((res.body as { callGroups: string[] }).callGroups, ['ops']);
    const old = await register('pa-bob', 'old-secret');
    assert.ok(old.status === 401 || old.status === 403, `old password: ${old.status}`);
    assert.equal((await register('pa-bob', 'new-secret')).status, 200);
  });

  it('404 for an unknown user (and none is made), 400 for an empty body or an unknown property', async () => {
    const missing = await fx.api('PATCH', userPath('pa-nobody'), { displayName: 'Ghost' });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { code: 'E_NOT_FOUND', message: `no user pa-nobody in ${TENANT}` });
    assert.equal((await fx.api('GET', userPath('pa-nobody'))).status, 404);
    await fx.provision('pa-cat');
    for (const body of [{}, { pasword: 'abcd' }]) {
      const res = await fx.api('PATCH', userPath('pa-cat'), body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal((res.body as { code: string }).code, 'E_BAD_REQUEST');
    }
  });

  it("a tenant token gets 403 for another tenant's user, as PUT does, and nothing changes", async () => {
    const other = 'other.example';
    assert.equal((await fx.api('PUT', userPath('pa-eve', other), { password: 'eve-secret', callGroups: ['ops'] })).status, 201);
    const made = await fx.api('POST', `/v1/tenants/${TENANT}/tokens`);
    assert.equal(made.status, 201);
    const token = (made.body as { token: string }).token;
    const patch = await fx.api('PATCH', userPath('pa-eve', other), { callGroups: ['hijack'] }, token);
    const put = await fx.api('PUT', userPath('pa-eve', other), { password: 'hijack' }, token);
    assert.deepEqual([patch.status, put.status], [403, 403]);
    assert.deepEqual(((await fx.api('GET', userPath('pa-eve', other))).body as { callGroups: string[] }).callGroups, ['ops']);
    await fx.provision('pa-own');
    assert.equal((await fx.api('PATCH', userPath('pa-own'), { displayName: 'Own' }, token)).status, 200, 'its own tenant: allowed');
    await fx.api('DELETE', userPath('pa-eve', other));
  });

  /**
   * What the API guarantees, PATCH and DELETE each being atomic and PATCH never creating:
   * the user exists until the DELETE, so the DELETE answers 204 whichever runs first; the
   * PATCH answers 200 (it ran first, on the whole user) or 404 (it ran after); and once
   * both have answered the user is gone either way: a PATCH after the DELETE must not
   * bring back part of it (GET 404, no key in Redis).
   */
  it('PATCH racing DELETE: DELETE 204, PATCH 200 or 404, and no user left behind either way', async () => {
    const seen = { 200: 0, 404: 0 };
    for (let i = 0; i < 40; i++) {
      await fx.provision('pa-race', 'race-secret', { callGroups: ['ops'] });
      const patch = (): ReturnType<typeof fx.api> => fx.api('PATCH', userPath('pa-race'), { displayName: `round ${i}`, pickupGroups: ['sales'] });
      const del = (): ReturnType<typeof fx.api> => fx.api('DELETE', userPath('pa-race'));
      // sent in one order, then the other, both before either answers
      const [p, d] = i % 2 === 0 ? await Promise.all([patch(), del()]) : (await Promise.all([del(), patch()])).reverse();
      assert.equal(d.status, 204, `round ${i}: DELETE ${d.status}`);
      assert.ok(p.status === 200 || p.status === 404, `round ${i}: PATCH ${p.status}`);
      if (p.status === 200) assert.deepEqual((p.body as { callGroups: string[] }).callGroups, ['ops'], 'the PATCH saw the whole user');
      seen[p.status as 200 | 404]++;
      assert.equal((await fx.api('GET', userPath('pa-race'))).status, 404, `round ${i}: the user is gone`);
      assert.deepEqual(await fx.redis().client.keys(`user:${TENANT}:pa-race`), [], `round ${i}: no hash left`);
      assert.equal(Number(await fx.redis().client.sIsMember(`users:${TENANT}`, 'pa-race')), 0, `round ${i}: not listed`);
    }
    assert.equal(seen[200] + seen[404], 40);
  });
});
