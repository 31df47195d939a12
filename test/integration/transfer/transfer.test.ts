import assert from 'node:assert/strict';
import { rtpenginePorts } from '../../support/ng-query';
import { createRtpEndpoint, OTHER, type RtpEndpoint } from '../../support/rtp';
import { testLogger } from '../../support/rtpengine';
import { coreFixture, type LiveCall } from '../core/fixture';
import { header } from '../races/sip-peer';
import { PeerPhones } from '../races/peer-phones';
import { byeIn, connect, notifyIn } from './peers';

/**
 * Call transfer (issue 18; call flows 3.4 and 3.5, service examples 2.4 and 2.5): blind
 * and attended, by REFER, by INVITE with Replaces and by REST. After each transfer the
 * transferee and the target exchange RTP through rtpengine; the fixture checks that no
 * dialog, Redis call key or rtpengine session is left after each test.
 */
describe('transfer', function () {
  this.timeout(40000);
  const fx = coreFixture();
  const phones = new PeerPhones(fx);
  const eps: RtpEndpoint[] = [];
  const endpoint = async (): Promise<RtpEndpoint> => {
    const ep = await createRtpEndpoint();
    eps.push(ep);
    return ep;
  };
  afterEach(async () => {
    phones.close();
    for (const ep of eps.splice(0)) await ep.stop();
  });

  /** Each party's RTP, sent to rtpengine's port for its tag in the call's session, reaches the other. */
  async function talk(call: LiveCall, caller: RtpEndpoint, callee: RtpEndpoint): Promise<void> {
    const ports = await rtpenginePorts(fx.media().process.ngPort, call.mediaCallId, testLogger());
    const up = caller.sendTo('127.0.0.1', ports.get(call.caller.tag) ?? 0, { marker: 0x43 });
    const down = callee.sendTo('127.0.0.1', ports.get(call.callee.tag) ?? 0, { marker: 0x42 });
    try {
      await callee.waitFor(0x43, 10, 5000);
      await caller.waitFor(0x42, 10, 5000);
    } finally {
      up.stop();
      down.stop();
    }
  }

  it('blind by REFER, the transferor hanging up right after the 202: the target is called with Referred-By, then talks to the transferee', async () => {
    for (const u of ['tb-a', 'tb-b', 'tb-c']) await fx.provision(u);
    const [b, c] = [await phones.phone('tb-b'), await phones.phone('tb-c')];
    const [epB, epC] = [await endpoint(), await endpoint()];
    b.holdReinvites = true;
    const transferor = fx.call('transfer-blind-bye.xml', 'tb-a', 'tb-b', { vars: { caller: 'tb-a', refer_to: 'tb-c' } });
    const invB = await b.nextInvite();
    invB.send(200, epB.sdp());
    const invC = await c.nextInvite();
    assert.match(header(invC.request, 'referred-by'), /sip:tb-a@/, 'RFC 3892: Referred-By carried to the target');
    assert.match(header(invC.request, 'from'), /sip:tb-b@/, 'the target sees the transferee calling');
    const ra = await transferor;
    assert.equal(ra.code, 0, `the transferor got 202, the 100 Trying NOTIFY and its BYE answered: ${ra.errors}`);
    assert.equal(byeCount(b, invB.dialog.callId), 0, 'the transferor\'s BYE did not end the transferee\'s call');
    invC.send(200, epC.sdp());
    const re = await b.nextReinvite();
    re.send(200, epB.sdp());
    const live = await fx.liveCall((x) => x.caller.user === 'tb-c' && x.callee.user === 'tb-b');
    await talk(live, epC, epB);
    await b.request(invB.dialog, 'BYE');
    await byeIn(c, invC.dialog.callId);
  });

  function byeCount(p: { requestsIn(id: string, m?: string): unknown[] }, callId: string): number {
    return p.requestsIn(callId, 'BYE').length;
  }

  it('blind by REFER from a transferor that held the transferee first: music while the target rings, then only the target', async () => {
    for (const u of ['th-a', 'th-b', 'th-c']) await fx.provision(u);
    const [a, b, c] = [await phones.phone('th-a', false), await phones.phone('th-b'), await phones.phone('th-c')];
    const [epA, epB, epC] = [await endpoint(), await endpoint(), await endpoint()];
    const d = await connect(a, 'th-a', b, 'th-b', { caller: epA.sdp(), callee: epB.sdp() });
    b.holdReinvites = true;
    const holding = a.request(d.caller, 'INVITE', { body: epA.sdp({ direction: 'sendonly' }) });
    (await b.nextReinvite()).send(200, epB.sdp());
    assert.equal((await holding).status, 200);
    await epB.waitFor(OTHER, 10, 5000);
    assert.equal((await a.request(d.caller, 'REFER', { headers: { 'Refer-To': '<sip:th-c@127.0.0.1>' } })).status, 202);
    const invC = await c.nextInvite();
    await epB.waitFor(OTHER, 10, 5000);
    invC.send(200, epC.sdp());
    (await b.nextReinvite()).send(200, epB.sdp());
    await notifyIn(a, d.caller.callId, 200);
    await byeIn(a, d.caller.callId);
    const live = await fx.liveCall((x) => x.caller.user === 'th-c' && x.callee.user === 'th-b');
    assert.equal(live.held, undefined, 'nobody holds the transferred call');
    await talk(live, epC, epB);
    assert.ok(await epB.quietFor(OTHER, 500), 'the music stopped once the target answered');
    await b.request(d.callee, 'BYE');
    await byeIn(c, invC.dialog.callId);
  });

  it('blind by REFER to a busy target: NOTIFY 100 then 486, and the transferee is back with the transferor', async () => {
    for (const u of ['tk-a', 'tk-b', 'tk-c']) await fx.provision(u);
    const [a, b, c] = [await phones.phone('tk-a', false), await phones.phone('tk-b'), await phones.phone('tk-c')];
    const d = await connect(a, 'tk-a', b, 'tk-b');
    const r = await a.request(d.caller, 'REFER', { headers: { 'Refer-To': '<sip:tk-c@127.0.0.1>', 'Referred-By': '<sip:tk-a@127.0.0.1>' } });
    assert.equal(r.status, 202);
    (await c.nextInvite()).send(486);
    const trying = await notifyIn(a, d.caller.callId, 100);
    assert.match(header(trying, 'subscription-state'), /^active/);
    assert.match(header(trying, 'content-type'), /^message\/sipfrag/);
    assert.equal(header(trying, 'event'), 'refer');
    const busy = await notifyIn(a, d.caller.callId, 486);
    assert.match(header(busy, 'subscription-state'), /^terminated/);
    await fx.liveCall((x) => x.caller.user === 'tk-a' && x.callee.user === 'tk-b');
    assert.equal(b.requestsIn(d.callee.callId, 'INVITE').length, 1, 'the transferee was never re-INVITEd');
    await a.request(d.caller, 'BYE');
    await byeIn(b, d.callee.callId);
  });

  it('blind by REFER to a busy target after the transferor left: the transferee is hung up', async () => {
    for (const u of ['tl-a', 'tl-b', 'tl-c']) await fx.provision(u);
    const [a, b, c] = [await phones.phone('tl-a', false), await phones.phone('tl-b'), await phones.phone('tl-c')];
    const d = await connect(a, 'tl-a', b, 'tl-b');
    assert.equal((await a.request(d.caller, 'REFER', { headers: { 'Refer-To': '<sip:tl-c@127.0.0.1>' } })).status, 202);
    const invC = await c.nextInvite();
    assert.equal((await a.request(d.caller, 'BYE')).status, 200);
    invC.send(486);
    await byeIn(b, d.callee.callId);
  });

  it('blind by REFER, the transferee hanging up while the target rings: the target gets CANCEL, the transferor NOTIFY 487 and BYE', async () => {
    for (const u of ['tx-a', 'tx-b', 'tx-c']) await fx.provision(u);
    const [a, b, c] = [await phones.phone('tx-a', false), await phones.phone('tx-b'), await phones.phone('tx-c')];
    const d = await connect(a, 'tx-a', b, 'tx-b');
    assert.equal((await a.request(d.caller, 'REFER', { headers: { 'Refer-To': '<sip:tx-c@127.0.0.1>' } })).status, 202);
    const invC = await c.nextInvite();
    // RFC 3261 9.1: no CANCEL before a provisional response
    invC.send(180);
    assert.equal((await b.request(d.callee, 'BYE')).status, 200);
    await c.waitRequest((m) => m.method === 'CANCEL' && header(m, 'call-id') === invC.dialog.callId, 10000, 'CANCEL');
    await notifyIn(a, d.caller.callId, 487);
    await byeIn(a, d.caller.callId);
  });

  it('blind by REFER, both parties hanging up while the target rings: the target gets CANCEL', async () => {
    for (const u of ['tz-a', 'tz-b', 'tz-c']) await fx.provision(u);
    const [a, b, c] = [await phones.phone('tz-a', false), await phones.phone('tz-b'), await phones.phone('tz-c')];
    const d = await connect(a, 'tz-a', b, 'tz-b');
    // the transferor holds the transferee first (phones do before a transfer): it hears music
    const holding = a.request(d.caller, 'INVITE', { body: a.sdp().replace('a=sendrecv', 'a=sendonly') });
    assert.equal((await holding).status, 200);
    assert.equal((await a.request(d.caller, 'REFER', { headers: { 'Refer-To': '<sip:tz-c@127.0.0.1>' } })).status, 202);
    const invC = await c.nextInvite();
    assert.equal((await b.request(d.callee, 'BYE')).status, 200);
    assert.equal((await a.request(d.caller, 'BYE')).status, 200);
    // RFC 3261 9.1: the CANCEL waits for a provisional response
    invC.send(180);
    await c.waitRequest((m) => m.method === 'CANCEL' && header(m, 'call-id') === invC.dialog.callId, 10000, 'CANCEL');
  });

  it('attended by REFER with Replaces naming the consultation call: transferee and target joined, both transferor legs released', async () => {
    for (const u of ['ta-a', 'ta-b', 'ta-c']) await fx.provision(u);
    const [a, b, c] = [await phones.phone('ta-a', false), await phones.phone('ta-b'), await phones.phone('ta-c')];
    const [epB, epC] = [await endpoint(), await endpoint()];
    const d1 = await connect(a, 'ta-a', b, 'ta-b', { callee: epB.sdp() });
    const d2 = await connect(a, 'ta-a', c, 'ta-c', { callee: epC.sdp() });
    b.holdReinvites = true;
    c.holdReinvites = true;
    const replaces = `${d2.caller.callId}%3Bto-tag%3D${d2.caller.remoteTag}%3Bfrom-tag%3D${d2.caller.localTag}`;
    const r = await a.request(d1.caller, 'REFER', { headers: { 'Refer-To': `<sip:ta-c@127.0.0.1?Replaces=${replaces}>` } });
    assert.equal(r.status, 202);
    (await c.nextReinvite()).send(200, epC.sdp());
    (await b.nextReinvite()).send(200, epB.sdp());
    await notifyIn(a, d1.caller.callId, 200);
    await byeIn(a, d1.caller.callId);
    await byeIn(a, d2.caller.callId);
    const live = await fx.liveCall((x) => x.caller.user === 'ta-c' && x.callee.user === 'ta-b');
    await talk(live, epC, epB);
    assert.equal(byeCount(c, d2.callee.callId), 0, 'the target kept its dialog');
    await c.request(d2.callee, 'BYE');
    await byeIn(b, d1.callee.callId);
  });

  it('INVITE with Replaces naming a confirmed leg: the newcomer takes its place, the replaced leg gets BYE', async () => {
    for (const u of ['tp-a', 'tp-b', 'tp-d']) await fx.provision(u);
    const [a, b, dPhone] = [await phones.phone('tp-a', false), await phones.phone('tp-b'), await phones.phone('tp-d', false)];
    const [epB, epD] = [await endpoint(), await endpoint()];
    const d = await connect(a, 'tp-a', b, 'tp-b', { callee: epB.sdp() });
    const early = await dPhone.call({ to: 'tp-b', user: 'tp-d', sdp: epD.sdp(),
      headers: { Replaces: `${d.caller.callId};to-tag=${d.caller.remoteTag};from-tag=${d.caller.localTag};early-only` } }).result;
    assert.equal(early.response.status, 486, 'RFC 3891 3: early-only names a confirmed dialog');
    b.holdReinvites = true;
    const call = dPhone.call({ to: 'tp-b', user: 'tp-d', sdp: epD.sdp(),
      headers: { Replaces: `${d.caller.callId};to-tag=${d.caller.remoteTag};from-tag=${d.caller.localTag}`, Supported: 'replaces', 'Referred-By': '<sip:tp-a@127.0.0.1>' } });
    (await b.nextReinvite()).send(200, epB.sdp());
    const res = await call.result;
    assert.equal(res.response.status, 200);
    await byeIn(a, d.caller.callId);
    const live = await fx.liveCall((x) => x.caller.user === 'tp-d' && x.callee.user === 'tp-b');
    await talk(live, epD, epB);
    await dPhone.request(res.dialog!, 'BYE');
    await byeIn(b, d.callee.callId);
  });

  it('REST blind: POST /v1/calls/{id}/transfer {party, to} answers once the target took the call, and the two then talk', async () => {
    for (const u of ['tr-a', 'tr-b', 'tr-c']) await fx.provision(u);
    const [a, b, c] = [await phones.phone('tr-a', false), await phones.phone('tr-b'), await phones.phone('tr-c')];
    const [epB, epC] = [await endpoint(), await endpoint()];
    const d = await connect(a, 'tr-a', b, 'tr-b', { callee: epB.sdp() });
    const id = (await fx.liveCall((x) => x.caller.user === 'tr-a')).id;
    b.holdReinvites = true;
    const pending = fx.api('POST', `/v1/calls/${id}/transfer`, { party: 'callee', to: 'tr-c' });
    const invC = await c.nextInvite();
    const during = await fx.api('GET', `/v1/calls/${id}/transfer`);
    assert.equal(during.status, 200);
    assert.equal((during.body as { transfer: { state: string; to: string } }).transfer.to, 'tr-c');
    invC.send(200, epC.sdp());
    (await b.nextReinvite()).send(200, epB.sdp());
    const r = await pending;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await byeIn(a, d.caller.callId);
    assert.equal((await fx.api('GET', `/v1/calls/${id}/transfer`)).status, 404);
    await talk(await fx.liveCall((x) => x.id === id && x.caller.user === 'tr-c'), epC, epB);
    await b.request(d.callee, 'BYE');
    await byeIn(c, invC.dialog.callId);
  });

  it('REST blind to a target that does not answer: 409 E_TRANSFER_FAILED, the call as it was', async () => {
    for (const u of ['tn-a', 'tn-b', 'tn-c']) await fx.provision(u);
    const [a, b, c] = [await phones.phone('tn-a', false), await phones.phone('tn-b'), await phones.phone('tn-c')];
    const d = await connect(a, 'tn-a', b, 'tn-b');
    const id = (await fx.liveCall((x) => x.caller.user === 'tn-a')).id;
    const pending = fx.api('POST', `/v1/calls/${id}/transfer`, { party: 'callee', to: 'tn-c' });
    (await c.nextInvite()).send(603);
    const r = await pending;
    assert.equal(r.status, 409);
    assert.equal((r.body as { code: string }).code, 'E_TRANSFER_FAILED');
    await fx.liveCall((x) => x.id === id && x.caller.user === 'tn-a' && x.callee.user === 'tn-b');
    await a.request(d.caller, 'BYE');
    await byeIn(b, d.callee.callId);
  });

  it('REST attended: POST {party, toCall} joins the transferee to the far party of the other call, and the two talk', async () => {
    for (const u of ['tt-a', 'tt-b', 'tt-c']) await fx.provision(u);
    const [a, b, c] = [await phones.phone('tt-a', false), await phones.phone('tt-b'), await phones.phone('tt-c')];
    const [epB, epC] = [await endpoint(), await endpoint()];
    const d1 = await connect(a, 'tt-a', b, 'tt-b', { callee: epB.sdp() });
    const d2 = await connect(a, 'tt-a', c, 'tt-c', { callee: epC.sdp() });
    const id1 = (await fx.liveCall((x) => x.callee.user === 'tt-b')).id;
    const id2 = (await fx.liveCall((x) => x.callee.user === 'tt-c')).id;
    b.holdReinvites = true;
    c.holdReinvites = true;
    const pending = fx.api('POST', `/v1/calls/${id1}/transfer`, { party: 'callee', toCall: id2 });
    (await c.nextReinvite()).send(200, epC.sdp());
    (await b.nextReinvite()).send(200, epB.sdp());
    const r = await pending;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((r.body as { to: string }).to, 'tt-c');
    await byeIn(a, d1.caller.callId);
    await byeIn(a, d2.caller.callId);
    await talk(await fx.liveCall((x) => x.id === id1 && x.caller.user === 'tt-c' && x.callee.user === 'tt-b'), epC, epB);
    await b.request(d1.callee, 'BYE');
    await byeIn(c, d2.callee.callId);
  });

  it('errors: REST 404/400/422 with codes; a REFER with a bad, foreign or unknown Refer-To is refused and the call stays', async () => {
    for (const u of ['te-a', 'te-b']) await fx.provision(u);
    const [a, b] = [await phones.phone('te-a', false), await phones.phone('te-b')];
    const d = await connect(a, 'te-a', b, 'te-b');
    const id = (await fx.liveCall((x) => x.caller.user === 'te-a')).id;
    const code = (r: { body: unknown }): string => (r.body as { code: string }).code;
    const none = await fx.api('POST', '/v1/calls/no-such-call/transfer', { party: 'callee', to: 'te-b' });
    assert.deepEqual([none.status, code(none)], [404, 'E_CALL_NOT_FOUND']);
    const unknown = await fx.api('POST', `/v1/calls/${id}/transfer`, { party: 'callee', to: 'nobody' });
    assert.deepEqual([unknown.status, code(unknown)], [404, 'E_TRANSFER_TARGET_NOT_FOUND']);
    assert.equal((await fx.api('POST', `/v1/calls/${id}/transfer`, { party: 'callee', to: 'bad user!' })).status, 400);
    assert.equal((await fx.api('POST', `/v1/calls/${id}/transfer`, { party: 'nobody', to: 'te-b' })).status, 400);
    const both = await fx.api('POST', `/v1/calls/${id}/transfer`, { party: 'callee', to: 'te-b', toCall: id });
    assert.deepEqual([both.status, code(both)], [422, 'E_TRANSFER_BAD_REQUEST']);
    const self = await fx.api('POST', `/v1/calls/${id}/transfer`, { party: 'callee', toCall: id });
    assert.deepEqual([self.status, code(self)], [422, 'E_TRANSFER_SAME_CALL']);
    const other = await fx.api('POST', `/v1/calls/${id}/transfer`, { party: 'callee', toCall: 'no-such-call' });
    assert.deepEqual([other.status, code(other)], [404, 'E_CALL_NOT_FOUND']);
    assert.equal(code(await fx.api('GET', `/v1/calls/${id}/transfer`)), 'E_NO_TRANSFER');
    const refer = async (to: string): Promise<number> => (await a.request(d.caller, 'REFER', { headers: { 'Refer-To': to } })).status ?? 0;
    assert.equal(await refer('<mailto:x@example.com>'), 400);
    assert.equal(await refer('<sip:te-b@other.example.com>'), 403);
    assert.equal(await refer('<sip:nobody@127.0.0.1>'), 404);
    assert.equal(await refer('<sip:te-b@127.0.0.1?Replaces=nope%3Bto-tag%3D1%3Bfrom-tag%3D2>'), 481);
    await fx.liveCall((x) => x.id === id && x.caller.user === 'te-a' && x.callee.user === 'te-b');
    await a.request(d.caller, 'BYE');
    await byeIn(b, d.callee.callId);
  });
});
