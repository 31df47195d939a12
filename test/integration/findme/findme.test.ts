import assert from 'node:assert/strict';
import { coreFixture, freshUsers, TENANT } from '../core/fixture';
import { callFlow as flow, finalStatus } from '../../support/sipp-results';

/** Find-me / follow-me (issue 17 item 3; service example 2.11) with sipp phones on the real server. */

describe('find-me: a user\'s locations rung one after another', function () {
  this.timeout(40000);
  const fx = coreFixture();
  const users = freshUsers(fx);
  const findMe = async (user: string, locations: Array<{ users?: string[]; groups?: string[]; ringSeconds: number }>): Promise<void> => {
    const r = await fx.api('PUT', `/v1/tenants/${TENANT}/users/${user}/findme`, { enabled: true, locations });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };

  it('the first location rings for its time and gets CANCEL, the next answers; no 181 (a location is no forward)', async () => {
    const [a, b, m] = await users('fma', 'fmb', 'fmm');
    await findMe(b, [{ users: [b], ringSeconds: 5 }, { users: [m], ringSeconds: 10 }]);
    const desk = await fx.uas('core-uas-ring.xml', await fx.register(b));
    const mobile = await fx.uas('core-uas.xml', await fx.register(m));
    const started = Date.now();
    const ra = await fx.call('fwd-call.xml', a, b);
    assert.equal(ra.code, 0, ra.errors);
    assert.ok(Date.now() - started >= 5000, 'the desk rang its 5 s (not NO_ANSWER_TIMEOUT, 3 s)');
    assert.deepEqual(flow((await desk.done).events), ['< INVITE', '> 180', '< CANCEL', '> 200', '> 487', '< ACK']);
    assert.equal((await mobile.done).code, 0);
    assert.ok(!flow(ra.events).includes('< 181'));
  });

  it('busy moves on at once; with no location answering the caller gets the last outcome', async () => {
    const [a, b, m] = await users('fba', 'fbb', 'fbm');
    await findMe(b, [{ users: [b], ringSeconds: 20 }, { users: [m], ringSeconds: 5 }]);
    const desk = await fx.uas('core-uas-busy.xml', await fx.register(b));
    const mobile = await fx.uas('core-uas-ring.xml', await fx.register(m));
    const started = Date.now();
    const r = await fx.call('core-expect-final.xml', a, b);
    assert.equal(r.code, 0, r.errors);
    assert.equal(finalStatus(r), 480);
    assert.ok(Date.now() - started < 15000, 'the busy desk did not hold the call for its 20 s');
    assert.deepEqual(flow((await desk.done).events), ['< INVITE', '> 486', '< ACK']);
    assert.ok(flow((await mobile.done).events).includes('< CANCEL'));
  });

  it('ringback throughout: 180 before the first location, a location\'s early media (183 with SDP) never reaches the caller; a group location rings all its members, the first to answer wins', async () => {
    const [a, b, m1, m2] = await users('fga', 'fgb', 'fgm', 'fgn');
    for (const m of [m1, m2]) await fx.provision(m, undefined, { callGroups: ['fg-sales'] });
    await findMe(b, [{ users: [b], ringSeconds: 5 }, { groups: ['fg-sales'], ringSeconds: 10 }]);
    const desk = await fx.uas('findme-uas-early-media-ring.xml', await fx.register(b));
    const still = await fx.uas('core-uas-ring.xml', await fx.register(m1));
    const answers = await fx.uas('core-uas.xml', await fx.register(m2));
    const ra = await fx.call('fwd-call.xml', a, b);
    assert.equal(ra.code, 0, ra.errors);
    assert.deepEqual(flow((await desk.done).events), ['< INVITE', '> 183', '< CANCEL', '> 200', '> 487', '< ACK']);
    assert.equal((await answers.done).code, 0);
    const rs = await still.done;
    assert.equal(rs.code, 0, rs.errors);
    assert.ok(flow(rs.events).includes('< CANCEL'), 'the group member left ringing is cancelled');
    const provisional = ra.events.filter((e) => e.dir === 'received' && (e.status ?? 0) > 100 && (e.status ?? 0) < 200);
    assert.equal(provisional[0]?.status, 180, 'ringback from the start');
    for (const p of provisional) {
      assert.equal(p.status, 180, `only 180s reach the caller: ${p.firstLine}`);
      assert.doesNotMatch(p.message, /^Content-Type: application\/sdp/im, 'no early media: the caller keeps its own ringback');
    }
  });

  it('REST: locations must be users of the tenant (422) or groups, ring times 5..300 s (400)', async () => {
    const [a] = await users('fra');
    const put = (body: unknown) => fx.api('PUT', `/v1/tenants/${TENANT}/users/${a}/findme`, body);
    const unknown = await put({ enabled: true, locations: [{ users: ['nobody'], ringSeconds: 10 }] });
    assert.equal(unknown.status, 422);
    assert.equal((unknown.body as { code: string }).code, 'E_FINDME_LOCATION_UNKNOWN');
    assert.equal((await put({ enabled: true, locations: [{ users: [a], ringSeconds: 1 }] })).status, 400);
    assert.equal((await put({ enabled: true, locations: [{ ringSeconds: 10 }] })).status, 400, 'a location names users or groups');
    assert.equal((await put({ enabled: true, locations: [{ groups: ['a b'], ringSeconds: 10 }] })).status, 400);
    assert.equal((await put({ enabled: true, locations: [{ groups: ['sales'], ringSeconds: 10 }] })).status, 200);
    assert.equal((await put({ enabled: true, locations: [{ users: [a], ringSeconds: 10 }] })).status, 200);
    assert.equal((await fx.api('DELETE', `/v1/tenants/${TENANT}/users/${a}/findme`)).status, 204);
    assert.deepEqual((await fx.api('GET', `/v1/tenants/${TENANT}/users/${a}/findme`)).body, { enabled: false, locations: [] });
  });
});
