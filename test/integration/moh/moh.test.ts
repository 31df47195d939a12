import assert from 'node:assert/strict';
import { defaultMusic, encodeUlaw } from '../../../features/moh/music';
import { rtpenginePorts } from '../../support/ng-query';
import { createRtpEndpoint, OTHER, type RtpEndpoint } from '../../support/rtp';
import { testLogger } from '../../support/rtpengine';
import { freePort } from '../../support/ports';
import { flow } from '../engine/fixture';
import { coreFixture, TENANT } from '../core/fixture';
import { swapScenarios } from './swap-scenarios';

const A = 0x11;
const B = 0x22;


/**
 * Music on hold by third-party call control (service example "Music On Hold"): the held
 * party hears the embedded music server's stream, not the holder; after the resume
 * both hear each other again and the music leg is gone.
 */
describe('moh: music on hold by 3pcc', function () {
  this.timeout(40000);
  const fx = coreFixture();
  const music = encodeUlaw(defaultMusic());

  /** the last payload B got from the music stream must be a window of the encoded music loop */
  function fromTheMusic(ep: RtpEndpoint): boolean {
    const p = ep.lastPayload(OTHER);
    return p !== undefined && p.length === 160 && music.includes(p);
  }

  it('the callee hears music while the caller holds, never the caller; resume reconnects both', async () => {
    await fx.provision('mh-a');
    await fx.provision('mh-b');
    const epA = await createRtpEndpoint();
    const epB = await createRtpEndpoint();
    try {
      const uas = await fx.uas('core-uas-hold-media.xml', await fx.register('mh-b'), { vars: { rtp_port: String(epB.port) } });
      const caller = fx.call('core-hold-media.xml', 'mh-a', 'mh-b', { vars: { caller: 'mh-a', rtp_port: String(epA.port) }, durationMs: 1500 });
      const call = await fx.liveCall();
      const ports = await rtpenginePorts(fx.media().process.ngPort, call.mediaCallId, testLogger());
      const toA = ports.get(call.caller.tag) ?? 0;
      const toB = ports.get(call.callee.tag) ?? 0;
      const sa = epA.sendTo('127.0.0.1', toA, { marker: A });
      const sb = epB.sendTo('127.0.0.1', toB, { marker: B });
      await epB.waitFor(A, 10, 3000);
      // hold: music reaches B at ~50 packets/s
      await epB.waitFor(OTHER, 1, 5000);
      const heldAt = Date.now();
      const before = epB.received(OTHER);
      await epB.waitFor(OTHER, 40, 2000);
      const rate = (epB.received(OTHER) - before) / ((Date.now() - heldAt) / 1000);
      assert.ok(rate > 40 && rate < 60, `music at ${rate.toFixed(1)} packets/s`);
      assert.ok(fromTheMusic(epB), 'the payload is the music file, G.711 encoded');
      assert.equal(await epB.quietFor(A, 300), true, 'the holder is not heard while the music plays');
      const held = await fx.liveCall((c) => c.id === call.id);
      assert.ok(held.held?.caller, 'the call shows the caller holding');
      assert.equal(held.held?.callee, undefined, 'only the caller holds');
      // the log line uses REST's meaning: `held` is the party that held, `music` the one hearing it
      const line = fx.logs('music on hold').find((e) => e.call === call.id);
      assert.ok(line, 'a "music on hold" log line for the call');
      assert.equal(line.held, 'caller');
      assert.equal(line.music, 'callee');
      // resume: A is heard again, the music stops
      await epB.waitFor(A, 10, 5000);
      assert.equal(await epB.quietFor(OTHER, 300), true, 'no more music after the resume');
      sa.stop();
      sb.stop();
      const ra = await caller;
      assert.equal(ra.code, 0, ra.errors);
      const rb = await uas.done;
      assert.equal(rb.code, 0, rb.errors);
      const reinvites = rb.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission).slice(1);
      assert.equal(reinvites.length, 2, 'one re-INVITE to music, one back');
      assert.match(reinvites[0].message, /a=sendonly/, 'the music offer is send-only');
      const versions = rb.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission)
        .map((e) => BigInt(/^o=\S+ \S+ (\d+)/m.exec(e.message)?.[1] ?? '0'));
      assert.ok(versions[2] > versions[0], `o= version moves on (${versions.join(', ')})`);
    } finally {
      await epA.stop();
      await epB.stop();
    }
  });

  it('plain hold when the tenant turns music on hold off', async () => {
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: false })).status, 200);
    try {
      await fx.provision('mo-a');
      await fx.provision('mo-b');
      const uas = await fx.uas('core-uas-hold.xml', await fx.register('mo-b'));
      const ra = await fx.call('core-hold.xml', 'mo-a', 'mo-b', { durationMs: 200 });
      assert.equal(ra.code, 0, ra.errors);
      const rb = await uas.done;
      const reinvites = rb.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission).slice(1);
      assert.match(reinvites[0].message, /a=sendonly/);
      assert.match(reinvites[0].message, /o=sipp /, 'the caller\'s own SDP (through rtpengine), no music server');
    } finally {
      await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true });
    }
  });

  it('falls back to the plain hold when the music server does not answer, and the call goes on', async () => {
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true, classes: { dead: { uri: 'sip:music@127.0.0.1:9' } }, defaultClass: 'dead' })).status, 200);
    try {
      await fx.provision('md-a');
      await fx.provision('md-b');
      const uas = await fx.uas('core-uas-hold.xml', await fx.register('md-b'));
      const ra = await fx.call('core-hold.xml', 'md-a', 'md-b', { durationMs: 4000 });
      assert.equal(ra.code, 0, ra.errors);
      assert.equal((await uas.done).code, 0);
    } finally {
      await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true });
    }
  });

  it('an external music server by URI gets the 3pcc flow: INVITE without SDP, offer in its 200, answer in the ACK', async () => {
    const mohPort = await freePort('both');
    const mohServer = await fx.uas('moh-server.xml', mohPort);
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true, classes: { ext: { uri: `sip:music@127.0.0.1:${mohPort}` } }, defaultClass: 'ext' })).status, 200);
    try {
      await fx.provision('mx-a');
      await fx.provision('mx-b');
      const uas = await fx.uas('core-uas-hold.xml', await fx.register('mx-b'));
      const ra = await fx.call('core-hold.xml', 'mx-a', 'mx-b', { durationMs: 500 });
      assert.equal(ra.code, 0, ra.errors);
      assert.equal((await uas.done).code, 0);
      const rm = await mohServer.done;
      assert.equal(rm.code, 0, rm.errors);
      assert.deepEqual(flow(rm.events), ['< INVITE', '> 200', '< ACK', '< BYE', '> 200']);
      const [invite, ok, ack] = rm.events;
      assert.match(invite.message, /\r\nContent-Length: 0\r\n/, 'the INVITE has no SDP');
      assert.match(ok.message, /\r\n\r\nv=0/, 'the offer is in the 200');
      assert.match(ack.message, /\r\n\r\nv=0[\s\S]*m=audio \d+ RTP\/AVP/, 'the held party\'s answer is in the ACK');
    } finally {
      await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true });
    }
  });

  it('REST: settings are validated; hold and resume a party of a live call', async () => {
    const bad = await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true, defaultClass: 'nope' });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { code: string }).code, 'E_BAD_REQUEST');
    assert.equal((await fx.api('POST', '/v1/calls/nosuch/hold', { party: 'caller' })).status, 404);
    assert.equal((await fx.api('POST', '/v1/calls/nosuch/hold', { party: 'nobody' })).status, 400);
    await fx.provision('mr-a');
    await fx.provision('mr-b');
    const epB = await createRtpEndpoint();
    try {
      const uas = await fx.uas('core-uas-hold-media.xml', await fx.register('mr-b'), { vars: { rtp_port: String(epB.port) } });
      const caller = fx.call('core-call-bye-received.xml', 'mr-a', 'mr-b', { timeoutSec: 20 });
      const call = await fx.liveCall();
      assert.equal((await fx.api('POST', `/v1/calls/${call.id}/hold`, { party: 'callee' })).status, 204);
      await epB.waitFor(OTHER, 25, 5000);
      assert.ok(fromTheMusic(epB));
      assert.equal((await fx.api('POST', `/v1/calls/${call.id}/hold`, { party: 'callee' })).status, 409);
      assert.equal((await fx.api('POST', `/v1/calls/${call.id}/resume`)).status, 204);
      assert.equal(await epB.quietFor(OTHER, 300), true);
      assert.equal((await fx.api('POST', `/v1/calls/${call.id}/resume`)).status, 409);
      assert.equal((await fx.api('DELETE', `/v1/calls/${call.id}`)).status, 204);
      assert.equal((await caller).code, 0);
      assert.equal((await uas.done).code, 0);
    } finally {
      await epB.stop();
    }
  });
});

describe('moh: hanging up while on music', function () {
  this.timeout(40000);
  const fx = coreFixture();

  it('the held party hangs up while hearing music: call, music leg and media sessions all end', async () => {
    await fx.provision('hb-a');
    await fx.provision('hb-b');
    const uas = await fx.uas('core-uas-held-bye.xml', await fx.register('hb-b'), { durationMs: 800 });
    const caller = fx.call('core-call-bye-received.xml', 'hb-a', 'hb-b', { timeoutSec: 20 });
    const id = (await fx.liveCall()).id;
    assert.equal((await fx.api('POST', `/v1/calls/${id}/hold`, { party: 'callee' })).status, 204);
    assert.equal((await uas.done).code, 0);
    assert.equal((await caller).code, 0);
    // the fixture's afterEach checks that no dialog, call key or rtpengine session is left
  });

  it('the holder hangs up while the other party hears music', async () => {
    await fx.provision('hh-a');
    await fx.provision('hh-b');
    const uas = await fx.uas('core-uas-held-bye.xml', await fx.register('hh-b'), { durationMs: 5000 });
    const r = await fx.call('core-hold-bye.xml', 'hh-a', 'hh-b', { durationMs: 600 });
    assert.equal(r.code, 0, r.errors);
    await uas.kill();
  });
});

describe('moh: the embedded music server is in this process', function () {
  this.timeout(40000);
  const fx = coreFixture();
  const listeners = async (): Promise<number> => {
    const text = String((await fx.api('GET', '/metrics', undefined, '')).body);
    return Number(/^feature_server_music_listeners (\d+)$/m.exec(text)?.[1] ?? NaN);
  };

  it('no SIP to the engine\'s own address: a class pointing there is refused at once (as drachtio-server refuses it), the embedded class plays', async () => {
    const self = `sip:music@127.0.0.1:${fx.sipPort()}`;
    assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true, classes: { default: {}, self: { uri: self } }, defaultClass: 'default', users: { 'se-a': 'self' } })).status, 200);
    await fx.provision('se-a');
    await fx.provision('se-b');
    const epB = await createRtpEndpoint();
    try {
      const uas = await fx.uas('core-uas-hold-media.xml', await fx.register('se-b'), { vars: { rtp_port: String(epB.port) } });
      const caller = fx.call('core-call-bye-received.xml', 'se-a', 'se-b', { timeoutSec: 20 });
      const call = await fx.liveCall();
      // the holder (se-a) has the class at the engine's own address: the engine refuses the
      // INVITE (no timer B to wait for), so the REST hold fails at once
      // (only the embedded engine counts what reaches it; drachtio-server keeps no such count)
      const embedded = fx.engine() === 'embedded';
      const before = embedded ? (await fx.engineStats()).messagesIn : 0;
      const started = Date.now();
      const refused = await fx.api('POST', `/v1/calls/${call.id}/hold`, { party: 'callee' });
      assert.equal(refused.status, 502);
      assert.ok(Date.now() - started < 2000, `refused in ${Date.now() - started} ms`);
      if (embedded) assert.equal((await fx.engineStats()).messagesIn, before, 'no request reached the engine from itself');
      // the embedded class needs no SIP: music reaches the held party
      assert.equal((await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true })).status, 200);
      assert.equal((await fx.api('POST', `/v1/calls/${call.id}/hold`, { party: 'callee' })).status, 204);
      await epB.waitFor(OTHER, 25, 5000);
      assert.equal(await listeners(), 1, 'one listener of the embedded music server');
      assert.equal((await fx.api('POST', `/v1/calls/${call.id}/resume`)).status, 204);
      assert.equal(await listeners(), 0, 'the resume removed it');
      assert.equal((await fx.api('DELETE', `/v1/calls/${call.id}`)).status, 204);
      assert.equal((await caller).code, 0);
      const rb = await uas.done;
      assert.equal(rb.code, 0, rb.errors);
      const invites = rb.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission);
      assert.equal(invites.length, 3, 'the call, the music, the resume: the refused hold re-INVITEd nobody');
    } finally {
      await epB.stop();
      await fx.api('PUT', `/v1/tenants/${TENANT}/moh`, { enabled: true });
    }
  });
});

describe('moh: hanging up while the music is being attached', function () {
  this.timeout(40000);
  // the engine's dialog count is not checked here: the embedded engine keeps a dialog for
  // the 2xx to a re-INVITE that arrives after the dialog's BYE (lib/engine/core/app-request.ts
  // trackDialog), so this test checks what the server owns itself
  const fx = coreFixture({}, { checkAfterEach: false });
  const listeners = async (): Promise<number> => {
    const text = String((await fx.api('GET', '/metrics', undefined, '')).body);
    return Number(/^feature_server_music_listeners (\d+)$/m.exec(text)?.[1] ?? NaN);
  };

  it('the held party hangs up while the music is being attached: no music listener and no media session outlive the call', async () => {
    await fx.provision('bd-a');
    await fx.provision('bd-b');
    const uas = await fx.uas('moh-uas-bye-during-music.xml', await fx.register('bd-b'));
    const caller = fx.call('core-call-bye-received.xml', 'bd-a', 'bd-b', { timeoutSec: 20 });
    const call = await fx.liveCall();
    // the BYE reaches the server before the 200 to the music re-INVITE: the hold finds the call gone
    const hold = await fx.api('POST', `/v1/calls/${call.id}/hold`, { party: 'callee' });
    assert.equal(hold.status, 404, JSON.stringify(hold.body));
    const rb = await uas.done;
    assert.equal(rb.code, 0, rb.errors);
    assert.equal((await caller).code, 0);
    const deadline = Date.now() + 5000;
    while ((await listeners()) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await listeners(), 0, 'the music listener was removed');
    const deadline2 = Date.now() + 5000;
    for (;;) {
      const sessions = await fx.media().anchor.list();
      const callKeys = await fx.redis().client.keys('call:*');
      if ((sessions.length === 0 && callKeys.length === 0) || Date.now() > deadline2) {
        assert.deepEqual({ sessions, callKeys }, { sessions: [], callKeys: [] }, 'no rtpengine session (the music one included) and no call record left');
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(fx.server().calls.size, 0);
  });
});

describe('moh: consultation hold and call swap', function () {
  this.timeout(60000);
  const fx = coreFixture();

  it('one user, two calls: the held one hears music, the other is active, swapped back and forth', async () => {
    const cycles = 2;
    const s = swapScenarios(cycles);
    try {
      for (const u of ['sw-a', 'sw-b', 'sw-c']) await fx.provision(u);
      const uasB = await fx.uas(s.callee, await fx.register('sw-b'));
      const uasC = await fx.uas(s.callee, await fx.register('sw-c'));
      const d = 1000;
      // the second call starts while the first is held (consultation), then their holds alternate (swap)
      const callB = fx.call(s.caller, 'sw-a', 'sw-b', { durationMs: d });
      await new Promise((r) => setTimeout(r, d + 300));
      const callC = fx.call(s.caller, 'sw-a', 'sw-c', { durationMs: d });
      const [rB, rC] = await Promise.all([callB, callC]);
      assert.equal(rB.code, 0, rB.errors);
      assert.equal(rC.code, 0, rC.errors);
      for (const uas of [uasB, uasC]) {
        const r = await uas.done;
        assert.equal(r.code, 0, r.errors);
        const invites = r.events.filter((e) => e.dir === 'received' && e.method === 'INVITE' && e.status === undefined && !e.retransmission);
        const offers = invites.slice(1);
        assert.deepEqual(offers.map((e) => /a=(sendonly|sendrecv)/.exec(e.message)?.[1]), Array.from({ length: 2 * cycles }, (_x, i) => (i % 2 === 0 ? 'sendonly' : 'sendrecv')));
        // every hold brought the music session's port (a second rtpengine session), every resume the call's own again
        const port = (m: string): string | undefined => /^m=audio (\d+)/m.exec(m)?.[1];
        const callPort = port(invites[0].message);
        offers.forEach((e, i) => (i % 2 === 0 ? assert.notEqual(port(e.message), callPort) : assert.equal(port(e.message), callPort)));
      }
    } finally {
      s.cleanup();
    }
  });
});

describe('moh: re-INVITE glare', function () {
  this.timeout(40000);
  // T1 = 200 ms: the music server's 200 waits unacknowledged through the 2.1-4 s retry
  // pause, so it must outlive it (64*T1 = 12.8 s)
  const fx = coreFixture({}, { t1: 200 });

  it('a 491 to the music re-INVITE is retried after the RFC 3261 14.1 pause, and the dialog stays usable', async () => {
    await fx.provision('gl-a');
    await fx.provision('gl-b');
    const uas = await fx.uas('core-uas-glare.xml', await fx.register('gl-b'));
    const caller = fx.call('core-call-bye-received.xml', 'gl-a', 'gl-b', { timeoutSec: 30 });
    const call = await fx.liveCall();
    const started = Date.now();
    assert.equal((await fx.api('POST', `/v1/calls/${call.id}/hold`, { party: 'callee' })).status, 204);
    const waited = Date.now() - started;
    assert.ok(waited >= 2000, `retried after ${waited} ms: 2.1-4 s for the Call-ID owner`);
    assert.equal((await fx.api('DELETE', `/v1/calls/${call.id}`)).status, 204);
    const rb = await uas.done;
    assert.equal(rb.code, 0, rb.errors);
    assert.deepEqual(flow(rb.events).filter((x) => x !== '> 180'),
      ['< INVITE', '> 200', '< ACK', '< INVITE', '> 491', '< ACK', '< INVITE', '> 200', '< ACK', '< BYE', '> 200']);
    assert.equal((await caller).code, 0);
  });
});
