import assert from 'node:assert/strict';
import { freePort } from '../../support/ports';
import { coreFixture, TENANT } from '../core/fixture';
import { callFlow as flow, finalStatus } from '../../support/sipp-results';

/** Outbound routes (issue 17 item 6): sipp plays the trunk's gateways on loopback. */

describe('outbound routes: destinations that are no user go to a trunk', function () {
  this.timeout(40000);
  const fx = coreFixture();

  afterEach(async () => {
    await fx.api('DELETE', `/v1/tenants/${TENANT}/routes`);
  });

  it('the first gateway answers 503, the next challenges with 407 and answers the credentials; media anchored', async () => {
    await fx.provision('ob-a');
    const [p1, p2] = [await freePort('both'), await freePort('both')];
    const gw1 = await fx.uas('gw-uas-503.xml', p1);
    const gw2 = await fx.uas('uas-auth-invite.xml', p2);
    const put = await fx.api('PUT', `/v1/tenants/${TENANT}/routes`, { routes: [
      { pattern: '1800*', gateways: [{ uri: 'sip:127.0.0.1:9' }] },
      { pattern: '1972*', gateways: [{ uri: `sip:127.0.0.1:${p1}` }, { uri: `sip:127.0.0.1:${p2}`, username: 'trunk', password: 'secret' }] },
    ] });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual((await fx.api('GET', `/v1/tenants/${TENANT}/routes`)).body, { routes: [
      { pattern: '1800*', gateways: [{ uri: 'sip:127.0.0.1:9' }] },
      { pattern: '1972*', gateways: [{ uri: `sip:127.0.0.1:${p1}` }, { uri: `sip:127.0.0.1:${p2}`, username: 'trunk' }] },
    ] }, 'GET never shows the trunk password');
    const ra = await fx.call('core-call.xml', 'ob-a', '19727293660');
    assert.equal(ra.code, 0, ra.errors);
    assert.deepEqual(flow((await gw1.done).events), ['< INVITE', '> 503', '< ACK']);
    const r2 = await gw2.done;
    assert.equal(r2.code, 0, r2.errors);
    const invites = r2.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && !e.retransmission);
    assert.equal(invites.length, 2);
    assert.match(invites[0].firstLine ?? '', /^INVITE sip:19727293660@127\.0\.0\.1/);
    assert.match(invites[1].message, /^Proxy-Authorization: Digest username="trunk"/m);
    const offer = ra.events.find((e) => e.dir === 'sent' && e.method === 'INVITE')?.message ?? '';
    assert.notEqual(/m=audio (\d+)/.exec(invites[1].message)?.[1], /m=audio (\d+)/.exec(offer)?.[1], 'the gateway is offered rtpengine\'s port');
  });

  it('CFU to a number (service example 2.6): 181, then the route\'s gateway gets the INVITE with Diversion; without a route 404', async () => {
    await fx.provision('ob-c');
    await fx.provision('ob-d');
    const fwd = await fx.api('PUT', `/v1/tenants/${TENANT}/users/ob-d/forwarding`, { dnd: false, unconditional: '+19727293660' });
    assert.equal(fwd.status, 200, JSON.stringify(fwd.body));
    const none = await fx.call('core-expect-final.xml', 'ob-c', 'ob-d');
    assert.equal(finalStatus(none), 404, 'no route yet');
    const port = await freePort('both');
    const gw = await fx.uas('core-uas.xml', port);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/routes`, { routes: [{ pattern: '+1972*', gateways: [{ uri: `sip:127.0.0.1:${port}` }] }] })).status, 200);
    const ra = await fx.call('fwd-call.xml', 'ob-c', 'ob-d');
    assert.equal(ra.code, 0, ra.errors);
    assert.ok(flow(ra.events).includes('< 181'));
    const inv = (await gw.done).events.find((e) => e.dir === 'received' && e.method === 'INVITE');
    assert.match(inv?.firstLine ?? '', /^INVITE sip:\+19727293660@127\.0\.0\.1/);
    assert.match(inv?.message ?? '', new RegExp(`^Diversion: <sip:ob-d@${TENANT.replace(/\./g, '\\.')}>;reason=unconditional`, 'm'));
  });

  it('no matching route: 404 and nothing sent (no open relay)', async () => {
    await fx.provision('ob-b');
    const port = await freePort('both');
    const gw = await fx.uas('gw-uas-503.xml', port);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/routes`, { routes: [{ pattern: '1972*', gateways: [{ uri: `sip:127.0.0.1:${port}` }] }] })).status, 200);
    const r = await fx.call('core-expect-final.xml', 'ob-b', '4420791234');
    assert.equal(finalStatus(r), 404);
    await gw.kill();
    assert.equal((await gw.done).events.length, 0, 'the gateway got nothing');
  });

  it('REST: a gateway must be a plain sip: host URI, a pattern a plain glob (400)', async () => {
    const put = (routes: unknown) => fx.api('PUT', `/v1/tenants/${TENANT}/routes`, { routes });
    assert.equal((await put([{ pattern: '1*', gateways: [{ uri: 'sip:u@gw.example;lr' }] }])).status, 400);
    assert.equal((await put([{ pattern: '(1+)+', gateways: [{ uri: 'sip:gw.example' }] }])).status, 400);
    assert.equal((await put([{ pattern: '1*', gateways: [] }])).status, 400);
    assert.equal((await put([{ pattern: '1*', gateways: [{ uri: 'sip:gw.example:5080;transport=tcp' }] }])).status, 200);
  });
});
