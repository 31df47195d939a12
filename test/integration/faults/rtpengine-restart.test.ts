import assert from 'node:assert/strict';
import { sdpOriginOf } from './sdp';
import { coreFixture, TENANT } from '../core/fixture';
import { header } from '../races/sip-peer';
import { assertMediaFlows, hangUpCall, mediaCall, MediaPhone, type MediaCall } from './media-phone';
import { until } from '../../support/until';
import { OTHER } from '../../support/rtp';

/**
 * rtpengine killed with -9 under live calls (issue #14). The server's rtpengine here is
 * one it does not supervise (RTPENGINE_NG; the test's own supervisor restarts it), so
 * the restart is seen by rtpengine's start time (lib/media/rtpengine-restart.ts).
 * MEDIA_RESTART=reanchor: each party gets a re-INVITE with the new rtpengine's SDP (same
 * o= session id, version one up) and RTP flows again both ways; =hangup: both legs get BYE.
 */
const CALLS = 3;

for (const policy of ['reanchor', 'hangup'] as const) {
  describe(`faults: kill -9 of rtpengine under ${CALLS} live calls, MEDIA_RESTART=${policy}`, function () {
    this.timeout(90000);
    const fx = coreFixture({ MEDIA_RESTART: policy, MEDIA_TIMEOUT: '0' });
    const phones: MediaPhone[] = [];

    before(async function () {
      this.timeout(30000);
      const server = { host: '127.0.0.1', port: fx.sipPort() };
      for (let i = 0; i < CALLS; i++) {
        await fx.provision(`rr-a${i}`);
        await fx.provision(`rr-b${i}`);
        phones.push(await new MediaPhone(server, TENANT).start(), await new MediaPhone(server, TENANT).start());
      }
    });

    after(() => {
      for (const p of phones) p.close();
    });

    it(policy === 'reanchor' ? 'every call gets its media back, re-INVITEs keep the o= line' : 'every call ends with a BYE to both legs', async () => {
      const calls: MediaCall[] = [];
      for (let i = 0; i < CALLS; i++) {
        const [a, b] = [phones[2 * i]!, phones[2 * i + 1]!];
        await b.register(`rr-b${i}`);
        calls.push(await mediaCall(a, `rr-a${i}`, b, `rr-b${i}`));
      }
      for (const c of calls) await assertMediaFlows(c);
      // the restart is seen by rtpengine's start time (lib/media/rtpengine-restart.ts): a new
      // one starts more than 2.5 s after the start estimated before, and on a busy host that
      // estimate may be ~2 s late (whole-second uptime, a late reply): kill it well after that
      await until('rtpengine uptime of 8 s', 20000, async () => ((await fx.media().anchor.uptime()) ?? 0) >= 8);
      const restarts = fx.media().process.restarts;
      const killedAt = Date.now();
      process.kill(fx.media().process.pid!, 'SIGKILL');
      await until('rtpengine restarted', 15000, () => fx.media().process.restarts > restarts);
      if (policy === 'reanchor') {
        for (const c of calls) {
          const [ra] = await Promise.all([
            c.a.waitRequest((m) => m.method === 'INVITE' && header(m, 'call-id') === c.ad.callId && m.at >= killedAt, 15000, 're-INVITE at the caller'),
            c.b.waitRequest((m) => m.method === 'INVITE' && header(m, 'call-id') === c.bd.callId && m.at >= killedAt, 15000, 're-INVITE at the callee'),
          ]);
          // RFC 3264 8: the same session id; the version one up from the 200 the caller got,
          // or the same when the description is unchanged (a fresh rtpengine may hand out the
          // ports it handed out before)
          const before = sdpOriginOf(c.a200);
          const after = sdpOriginOf(ra.body);
          assert.equal(after.id, before.id, 'o= session id kept');
          const changed = withoutOrigin(ra.body) !== withoutOrigin(c.a200);
          assert.equal(after.version, before.version + (changed ? 1n : 0n), `o= version ${changed ? 'one up' : 'kept for the same description'}`);
        }
        // both re-INVITEs are answered before the media is there for sure: poll the flow
        for (const c of calls) await assertMediaFlows(c, 10000);
        const listed = (await fx.api('GET', '/v1/calls')).body as { calls?: unknown[] } | unknown[];
        assert.equal((Array.isArray(listed) ? listed : listed.calls ?? []).length, CALLS, 'every call still listed');
        for (const c of calls) await hangUpCall(c);
      } else {
        for (const c of calls) {
          await Promise.all([
            c.a.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === c.ad.callId, 15000, 'BYE at the caller'),
            c.b.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === c.bd.callId, 15000, 'BYE at the callee'),
          ]);
        }
        await until('no call listed', 8000, async () => {
          const listed = (await fx.api('GET', '/v1/calls')).body as { calls?: unknown[] } | unknown[];
          return (Array.isArray(listed) ? listed : listed.calls ?? []).length === 0;
        });
      }
    });

    if (policy === 'reanchor') {
      it('a parked call and a call on music on hold get their music back (Feature.onMediaRestart); both are retrieved / resumed after', async () => {
        const server = { host: '127.0.0.1', port: fx.sipPort() };
        for (const u of ['rr-ha', 'rr-hb', 'rr-pa', 'rr-pb', 'rr-pc']) await fx.provision(u);
        // the parker is released at once: the announcement is park.test.ts's
        const lot = await fx.api('PUT', `/v1/tenants/${TENANT}/park`, { extension: '700', firstSlot: 701, lastSlot: 720, announce: false });
        assert.ok(lot.status < 300, `park lot: ${lot.status}`);
        const [ha, hb, pa, pb, pc] = await Promise.all(Array.from({ length: 5 }, () => new MediaPhone(server, TENANT).start()));
        phones.push(ha, hb, pa, pb, pc);
        await hb.register('rr-hb');
        await pb.register('rr-pb');
        await pc.register('rr-pc');
        // RFC 3264 8.4: the caller holds; the server puts the callee on music
        const held = await mediaCall(ha, 'rr-ha', hb, 'rr-hb');
        const hold = await ha.request(held.ad, 'INVITE', { body: ha.sdp().replace('a=sendrecv', 'a=sendonly') });
        assert.equal(hold.status, 200);
        await hb.rtp.waitFor(OTHER, 25, 10000);
        // RFC 3515: the callee blind-transfers the caller to the park extension; the caller is parked on music
        const parked = await mediaCall(pa, 'rr-pa', pb, 'rr-pb');
        const refer = await pb.request(parked.bd, 'REFER', { headers: { 'Refer-To': `<sip:700@${TENANT}>`, 'Referred-By': `<sip:rr-pb@${TENANT}>` } });
        assert.equal(refer.status, 202);
        await until('the call parked', 8000, async () => ((await fx.api('GET', `/v1/parks?tenant=${TENANT}`)).body as { parks: unknown[] }).parks.length === 1);
        await pa.rtp.waitFor(OTHER, 25, 10000);

        await until('rtpengine uptime of 8 s', 20000, async () => ((await fx.media().anchor.uptime()) ?? 0) >= 8);
        const restarts = fx.media().process.restarts;
        const killedAt = Date.now();
        process.kill(fx.media().process.pid!, 'SIGKILL');
        await until('rtpengine restarted', 15000, () => fx.media().process.restarts > restarts);
        // each party on music gets a re-INVITE from the new rtpengine, then music again
        await Promise.all([
          hb.waitRequest((m) => m.method === 'INVITE' && header(m, 'call-id') === held.bd.callId && m.at >= killedAt, 15000, 're-INVITE at the held party'),
          pa.waitRequest((m) => m.method === 'INVITE' && header(m, 'call-id') === parked.ad.callId && m.at >= killedAt, 15000, 're-INVITE at the parked party'),
        ]);
        await Promise.all([hb.rtp.waitFor(OTHER, 25, 10000), pa.rtp.waitFor(OTHER, 25, 10000)]);
        const listed = (await fx.api('GET', '/v1/calls')).body as { calls?: unknown[] } | unknown[];
        assert.equal((Array.isArray(listed) ? listed : listed.calls ?? []).length, 2, 'both calls still listed');

        // the holder resumes: the relay builds the call's session anew, media flows both ways
        const resume = await ha.request(held.ad, 'INVITE', { body: ha.sdp() });
        assert.equal(resume.status, 200);
        await assertMediaFlows({ ...held, a200: resume.body }, 10000);
        await hangUpCall(held);
        // the parked call is retrieved by dialing its slot: media flows between retriever and parked party
        const retrieve = pc.call({ to: '701', user: 'rr-pc' });
        const r = await retrieve.result;
        assert.equal(r.response.status, 200, `retrieve: ${r.response.status}`);
        const retrieved: MediaCall = { a: pc, b: pa, ad: r.dialog!, bd: parked.ad, a200: r.response.body, bInvite: parked.a200 };
        await assertMediaFlows(retrieved, 10000);
        await hangUpCall(retrieved);
        await until('no call listed', 8000, async () => {
          const l = (await fx.api('GET', '/v1/calls')).body as { calls?: unknown[] } | unknown[];
          return (Array.isArray(l) ? l : l.calls ?? []).length === 0;
        });
      });
    }
  });
}

/** An SDP body without its o= line and its line endings normalised: what RFC 3264 8 compares. */
function withoutOrigin(sdp: string): string {
  return sdp.split(/\r?\n/).filter((l) => !l.startsWith('o=') && l !== '').join('\n');
}
