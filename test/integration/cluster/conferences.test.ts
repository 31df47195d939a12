import assert from 'node:assert/strict';
import { PeerPhones } from '../races/peer-phones';
import { header, type PeerDialog, type SipPeer } from '../races/sip-peer';
import { TENANT } from '../core/fixture';
import { until } from '../../support/until';
import { clusterFixture, type Instance } from './fixture';

interface Listed {
  id: string;
  tenant: string;
  instanceId: string;
  members: Array<{ id: string; user: string; held: boolean }>;
}

/**
 * Issue 20 (the console's conference view "across instances"): every instance lists every
 * instance's conferences, and a change to one made through any instance is run by the
 * instance whose bridge it is.
 */
describe('cluster: conferences listed and changed through any instance', function () {
  this.timeout(60000);
  const fx = clusterFixture(2);
  const one = (): Instance => fx.instances[0];
  const two = (): Instance => fx.instances[1];
  const phones = new PeerPhones({ sipPort: () => one().sipPort, liveCall: (p) => one().liveCall(p) });
  after(() => phones.close());
  const listedBy = async (inst: Instance): Promise<Listed[]> => ((await inst.api('GET', '/v1/conferences')).body as { conferences: Listed[] }).conferences;
  const byeIn = (p: SipPeer, d: PeerDialog, who: string): Promise<unknown> =>
    p.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === d.callId, 10000, `BYE at ${who}`);

  it('a conference on instance 1 is listed by instance 2 with its members and who holds; adding and removing a member and ending it through instance 2 are run by instance 1', async () => {
    for (const u of ['xc-a', 'xc-b', 'xc-c', 'xc-d']) await fx.provision(u);
    const [a, b, c, d] = [await phones.phone(), await phones.phone('xc-b'), await phones.phone('xc-c'), await phones.phone('xc-d')];
    const ab = await phones.answeredCall(a, 'xc-a', b, 'xc-b');
    const ac = await phones.answeredCall(a, 'xc-a', c, 'xc-c');
    const merged = await two().api('POST', '/v1/conferences', { calls: [ab.id, ac.id] });
    assert.equal(merged.status, 201, JSON.stringify(merged.body));
    const conf = merged.body as Listed;
    assert.equal(conf.instanceId, 'fs-1', 'the calls live on instance 1, so does their conference');

    const listed = (await listedBy(two())).find((x) => x.id === conf.id);
    assert.equal(listed?.instanceId, 'fs-1', JSON.stringify(listed));
    assert.deepEqual(listed?.members.map((m) => m.user).sort(), ['xc-a', 'xc-b', 'xc-c']);
    assert.deepEqual((await listedBy(one())).map((x) => x.id), [conf.id], 'instance 1 lists it once');
    const single = await two().api('GET', `/v1/conferences/${conf.id}`);
    assert.equal(single.status, 200, JSON.stringify(single.body));

    // RFC 3264 8.4: B holds; instance 2's list says so
    const hold = await b.request(ab.callee, 'INVITE', { body: b.sdp().replace('a=sendrecv', 'a=sendonly') });
    assert.equal(hold.status, 200);
    await until('instance 2 lists B as held', 8000, async () => (await listedBy(two())).find((x) => x.id === conf.id)?.members.find((m) => m.user === 'xc-b')?.held === true);

    // a member added through instance 2: instance 1 rings D and joins it
    const ringing = d.nextInvite(15000);
    const adding = two().api('POST', `/v1/conferences/${conf.id}/members`, { to: 'xc-d' });
    const invite = await ringing;
    invite.send(200, d.sdp());
    const added = await adding;
    assert.equal(added.status, 201, JSON.stringify(added.body));
    await until('instance 2 lists D', 8000, async () => (await listedBy(two())).find((x) => x.id === conf.id)?.members.some((m) => m.user === 'xc-d'));

    const memberC = listed!.members.find((m) => m.user === 'xc-c')!;
    const removed = await two().api('DELETE', `/v1/conferences/${conf.id}/members/${memberC.id}`);
    assert.equal(removed.status, 204, JSON.stringify(removed.body));
    await byeIn(c, ac.callee, 'C');
    const noMember = await two().api('DELETE', `/v1/conferences/${conf.id}/members/${memberC.id}`);
    assert.deepEqual([noMember.status, (noMember.body as { code: string }).code], [404, 'E_CONF_MEMBER_NOT_FOUND'], "instance 1's own answer");

    const ended = await two().api('DELETE', `/v1/conferences/${conf.id}`);
    assert.equal(ended.status, 204, JSON.stringify(ended.body));
    await Promise.all([byeIn(a, ab.caller, 'A'), byeIn(b, ab.callee, 'B'), byeIn(d, invite.dialog, 'D')]);
    for (const inst of [one(), two()]) assert.deepEqual(await listedBy(inst), [], 'no instance lists it any more');
    const gone = await two().api('DELETE', `/v1/conferences/${conf.id}`);
    assert.deepEqual([gone.status, (gone.body as { code: string }).code], [404, 'E_CONF_NOT_FOUND']);
  });

  it("the record of a conference whose instance is no longer running is not listed, and is removed", async () => {
    const key = `conf:${TENANT}:0ddba11`;
    const record = { id: '0ddba11', tenant: TENANT, host: 'xg-a', hostLeaves: 'end', createdAt: Date.now(), members: [{ id: 'aa', user: 'xg-a', joinedAt: Date.now() }], instanceId: 'fs-gone' };
    const redis = fx.redis().client;
    await redis.multi().hSet(key, { doc: JSON.stringify(record), instanceId: 'fs-gone' }).pExpire(key, 60000).sAdd('confs', key).exec();
    assert.deepEqual(await listedBy(two()), []);
    const single = await two().api('GET', '/v1/conferences/0ddba11');
    assert.deepEqual([single.status, (single.body as { code: string }).code], [404, 'E_CONF_NOT_FOUND']);
    await until('the record is removed', 5000, async () => (await redis.exists(key)) === 0 && !(await redis.sIsMember('confs', key)));
  });
});
