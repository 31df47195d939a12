import assert from 'node:assert/strict';
import { coreFixture, TENANT } from '../core/fixture';
import { header } from '../races/sip-peer';
import { PeerPhones } from '../races/peer-phones';
import { byeIn, connect } from './peers';

/**
 * Transfer and the other features (issue 18 point 5): a call that is parked, or a party
 * that sits in a conference, is not transferred (by REFER, by REST, nor by an INVITE
 * with Replaces naming the parked leg); the phone and the REST client are told so with a
 * clear status, and nothing of the call or the conference changes.
 */
describe('transfer: interactions with park and conference', function () {
  this.timeout(40000);
  const fx = coreFixture();
  const phones = new PeerPhones(fx);
  afterEach(() => phones.close());

  /** Polls the REST state (what the test cannot await as a SIP event) up to 10 s. */
  async function until(what: string, pred: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10000;
    while (!(await pred())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const code = (r: { body: unknown }): string => (r.body as { code: string }).code;

  it('a parked call: the parked party\'s REFER gets 403, a REST transfer 409 E_CALL_PARKED, and the call stays parked', async () => {
    for (const u of ['ip-a', 'ip-b', 'ip-c']) await fx.provision(u);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60, announce: false })).status, 200);
    const [a, b] = [await phones.phone('ip-a', false), await phones.phone('ip-b')];
    await phones.phone('ip-c');
    const d = await connect(a, 'ip-a', b, 'ip-b');
    const id = (await fx.liveCall((x) => x.caller.user === 'ip-a')).id;
    const parked = await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee', slot: '711' });
    assert.equal(parked.status, 200, JSON.stringify(parked.body));
    await byeIn(a, d.caller.callId);

    const refer = await b.request(d.callee, 'REFER', { headers: { 'Refer-To': '<sip:ip-c@127.0.0.1>' } });
    assert.equal(refer.status, 403, 'RFC 3515 2.4.2: a REFER that will not be carried out is refused');
    assert.match(refer.raw.split('\r\n')[0], /^SIP\/2\.0 403 .*Parked/i, 'the reason phrase says why');
    const rest = await fx.api('POST', `/v1/calls/${id}/transfer`, { party: 'callee', to: 'ip-c' });
    assert.deepEqual([rest.status, code(rest)], [409, 'E_CALL_PARKED'], JSON.stringify(rest.body));

    const parks = (await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: Array<{ slot: string; parked: string }> };
    assert.deepEqual(parks.parks.map((p) => [p.slot, p.parked]), [['711', 'ip-b']], 'still parked in its slot');
    await b.request(d.callee, 'BYE');
    await until('the slot is free', async () => ((await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: unknown[] }).parks.length === 0);
  });

  it('a parked party\'s leg named by an INVITE with Replaces: 403 with the reason, and the call stays parked', async () => {
    for (const u of ['iq-a', 'iq-b', 'iq-d']) await fx.provision(u);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, timeout: 60, announce: false })).status, 200);
    const [a, b, dPhone] = [await phones.phone('iq-a', false), await phones.phone('iq-b'), await phones.phone('iq-d', false)];
    const d = await connect(a, 'iq-a', b, 'iq-b');
    const id = (await fx.liveCall((x) => x.caller.user === 'iq-a')).id;
    assert.equal((await fx.api('POST', `/v1/calls/${id}/park`, { party: 'callee', slot: '713' })).status, 200);
    await byeIn(a, d.caller.callId);

    // the parked party's dialog, named as the server sees it (RFC 3891 3)
    const replaces = `${d.callee.callId};to-tag=${d.callee.localTag};from-tag=${d.callee.remoteTag}`;
    const res = await dPhone.call({ to: 'iq-b', user: 'iq-d', headers: { Replaces: replaces, Supported: 'replaces' } }).result;
    assert.equal(res.response.status, 403, 'a parked call has nobody to replace: a retrieve moves it on, not a Replaces');
    assert.match(res.response.raw.split('\r\n')[0], /^SIP\/2\.0 403 .*Parked/i, 'the reason phrase says why');

    const parks = (await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: Array<{ slot: string; parked: string }> };
    assert.deepEqual(parks.parks.map((p) => [p.slot, p.parked]), [['713', 'iq-b']], 'still parked in its slot');
    await b.request(d.callee, 'BYE');
    await until('the slot is free', async () => ((await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: unknown[] }).parks.length === 0);
  });

  it('a conference member\'s REFER gets 403 (not a 200 that does nothing), and the member stays in the conference', async () => {
    for (const u of ['ic-a', 'ic-b', 'ic-c', 'ic-d']) await fx.provision(u);
    const [a, b, c] = [await phones.phone('ic-a', false), await phones.phone('ic-b'), await phones.phone('ic-c')];
    await phones.phone('ic-d');
    const ab = await connect(a, 'ic-a', b, 'ic-b');
    const ac = await connect(a, 'ic-a', c, 'ic-c');
    const ids = [(await fx.liveCall((x) => x.callee.user === 'ic-b')).id, (await fx.liveCall((x) => x.callee.user === 'ic-c')).id];
    const merged = await fx.api('POST', '/v1/conferences', { calls: ids });
    assert.equal(merged.status, 201, JSON.stringify(merged.body));
    const conf = merged.body as { id: string; members: Array<{ id: string }> };
    await byeIn(a, ac.caller.callId);

    const refer = await b.request(ab.callee, 'REFER', { headers: { 'Refer-To': '<sip:ic-d@127.0.0.1>' } });
    assert.equal(refer.status, 403, 'a member\'s seat is not transferred: the phone must not think it was');
    assert.match(header(refer, 'warning'), /^399 /, 'a Warning says why');
    assert.equal(b.requestsIn(ab.callee.callId, 'NOTIFY').length, 0, 'no transfer started');
    const now = (await fx.api('GET', `/v1/conferences/${conf.id}`)).body as { members: Array<{ id: string }> };
    assert.deepEqual(now.members.map((m) => m.id).sort(), conf.members.map((m) => m.id).sort(), 'the same members');

    assert.equal((await fx.api('DELETE', `/v1/conferences/${conf.id}`)).status, 204);
    await Promise.all([byeIn(a, ab.caller.callId), byeIn(b, ab.callee.callId), byeIn(c, ac.callee.callId)]);
  });
});
