import assert from 'node:assert/strict';
import { sdpOriginOf } from './sdp';
import { coreFixture, TENANT } from '../core/fixture';
import { header } from '../races/sip-peer';
import { assertMediaFlows, hangUpCall, mediaCall, MediaPhone, type MediaCall } from './media-phone';
import { until } from '../../support/until';

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
      // the restart is seen by rtpengine's start time, in whole seconds: let it be well past the first look
      await until('rtpengine uptime of 4 s', 15000, async () => ((await fx.media().anchor.uptime()) ?? 0) >= 4);
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
      it('a call on music on hold, whose music the feature owns, is ended cleanly: BYE to both phones, nothing listed', async () => {
        await fx.provision('rr-ha');
        await fx.provision('rr-hb');
        const server = { host: '127.0.0.1', port: fx.sipPort() };
        const [a, b] = [await new MediaPhone(server, TENANT).start(), await new MediaPhone(server, TENANT).start()];
        phones.push(a, b);
        await b.register('rr-hb');
        const c = await mediaCall(a, 'rr-ha', b, 'rr-hb');
        // RFC 3264 8.4: the caller holds; the server puts the callee on music
        const hold = await a.request(c.ad, 'INVITE', { body: a.sdp().replace('a=sendrecv', 'a=sendonly') });
        assert.equal(hold.status, 200);
        await fx.liveCall((x) => x.caller.user === 'rr-ha' && x.held !== undefined);
        await until('rtpengine uptime of 4 s', 15000, async () => ((await fx.media().anchor.uptime()) ?? 0) >= 4);
        const restarts = fx.media().process.restarts;
        process.kill(fx.media().process.pid!, 'SIGKILL');
        await until('rtpengine restarted', 15000, () => fx.media().process.restarts > restarts);
        await Promise.all([
          a.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === c.ad.callId, 15000, 'BYE at the holder'),
          b.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === c.bd.callId, 15000, 'BYE at the held party'),
        ]);
        await until('no call listed', 8000, async () => {
          const listed = (await fx.api('GET', '/v1/calls')).body as { calls?: unknown[] } | unknown[];
          return (Array.isArray(listed) ? listed : listed.calls ?? []).length === 0;
        });
      });
    }
  });
}

/** An SDP body without its o= line and its line endings normalised: what RFC 3264 8 compares. */
function withoutOrigin(sdp: string): string {
  return sdp.split(/\r?\n/).filter((l) => !l.startsWith('o=') && l !== '').join('\n');
}
