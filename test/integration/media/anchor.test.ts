import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MediaError, createRtpengineAnchor, startRtpengine } from '../../../lib/media';
import { OTHER, createRtpEndpoint, mediaTarget, sdpDirection, type RtpEndpoint, type RtpSender } from '../../support/rtp';
import { testLogger, withRtpengine } from '../../support/rtpengine';
import { encodeUlaw, ulawWavBytes } from '../../../lib/media/audio';

/** A call anchored in rtpengine: endpoint A offered, endpoint B answered, both streaming. */
interface Call {
  callId: string;
  aTag: string;
  bTag: string;
  A: RtpEndpoint;
  B: RtpEndpoint;
  /** the rewritten offer (given to B) and answer (given to A) */
  offerSdp: string;
  answerSdp: string;
  senders: RtpSender[];
}

describe('media: rtpengine anchor', function () {
  this.timeout(10000);
  const media = withRtpengine();
  const cleanups: Array<() => Promise<void>> = [];
  let seq = 0;

  before(() => media.start());
  after(() => media.stop());
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** Offer from A, answer from B; A sends to the answer's address, B to the offer's. */
  async function connect(markers: { a: number; b: number }): Promise<Call> {
    const n = ++seq;
    const callId = `media-test-${n}-${Date.now()}`;
    const [A, B] = await Promise.all([createRtpEndpoint(), createRtpEndpoint()]);
    const call: Call = { callId, aTag: `a${n}`, bTag: `b${n}`, A, B, offerSdp: '', answerSdp: '', senders: [] };
    cleanups.push(async () => {
      call.senders.forEach((s) => s.stop());
      await Promise.all([A.stop(), B.stop()]);
      await media.anchor.delete({ callId }).catch(() => {});
    });
    call.offerSdp = await media.anchor.offer({ callId, fromTag: call.aTag, sdp: A.sdp({ telephoneEvent: true }) });
    call.answerSdp = await media.anchor.answer({ callId, fromTag: call.aTag, toTag: call.bTag, sdp: B.sdp({ telephoneEvent: true }) });
    const toRtpengineFromA = mediaTarget(call.answerSdp);
    const toRtpengineFromB = mediaTarget(call.offerSdp);
    call.senders.push(A.sendTo(toRtpengineFromA.address, toRtpengineFromA.port, { marker: markers.a }));
    call.senders.push(B.sendTo(toRtpengineFromB.address, toRtpengineFromB.port, { marker: markers.b }));
    return call;
  }

  function assertRtpenginePort(sdp: string, endpoint: RtpEndpoint): void {
    const { address, port } = mediaTarget(sdp);
    assert.equal(address, '127.0.0.1');
    assert.notEqual(port, endpoint.port, 'the rewritten SDP must not point at the other endpoint');
    assert.ok(port >= media.process.portMin && port <= media.process.portMax, `port ${port} is not in rtpengine's range`);
  }

  it('relays RTP both ways through rtpengine, with its ports in both rewritten SDPs', async () => {
    const call = await connect({ a: 0xa1, b: 0xb1 });
    assertRtpenginePort(call.offerSdp, call.A);
    assertRtpenginePort(call.answerSdp, call.B);
    // codecs and telephone-event pass through as offered
    assert.match(call.offerSdp, /m=audio \d+ RTP\/AVP 0 8 101/);
    assert.match(call.offerSdp, /a=rtpmap:101 telephone-event\/8000/);
    assert.doesNotMatch(call.offerSdp, /a=(candidate|ice-ufrag|fingerprint|crypto)/);

    await Promise.all([call.B.waitFor(0xa1, 10), call.A.waitFor(0xb1, 10)]);
    // each side hears the other from rtpengine's port, never from the other endpoint
    assert.deepEqual(call.B.lastSource(0xa1), mediaTarget(call.offerSdp));
    assert.deepEqual(call.A.lastSource(0xb1), mediaTarget(call.answerSdp));
  });

  it('re-offers on the same call (hold and resume, from either side) keep the ports and carry the direction', async () => {
    const call = await connect({ a: 0xa2, b: 0xb2 });
    await call.B.waitFor(0xa2, 3);
    const { callId, aTag, bTag, A, B } = call;

    // RFC 3264 8.4: A holds B with a=sendonly, B answers recvonly.
    const holdOffer = await media.anchor.offer({ callId, fromTag: aTag, sdp: A.sdp({ direction: 'sendonly' }) });
    const holdAnswer = await media.anchor.answer({ callId, fromTag: aTag, toTag: bTag, sdp: B.sdp({ direction: 'recvonly' }) });
    assert.equal(sdpDirection(holdOffer), 'sendonly');
    assert.equal(sdpDirection(holdAnswer), 'recvonly');
    assert.deepEqual(mediaTarget(holdOffer), mediaTarget(call.offerSdp), 'a re-offer must keep the port B sends to');
    assert.deepEqual(mediaTarget(holdAnswer), mediaTarget(call.answerSdp), 'a re-offer must keep the port A sends to');
    // music on hold relies on this: the holder's stream still reaches the held party
    await B.waitFor(0xa2, 5);

    // Resume, then the callee holds the caller with a=inactive (its own re-INVITE).
    const resumeOffer = await media.anchor.offer({ callId, fromTag: aTag, sdp: A.sdp() });
    assert.equal(sdpDirection(await media.anchor.answer({ callId, fromTag: aTag, toTag: bTag, sdp: B.sdp() })), 'sendrecv');
    assert.equal(sdpDirection(resumeOffer), 'sendrecv');
    await Promise.all([B.waitFor(0xa2, 5), A.waitFor(0xb2, 5)]);

    const calleeOffer = await media.anchor.offer({ callId, fromTag: bTag, toTag: aTag, sdp: B.sdp({ direction: 'inactive' }) });
    const callerAnswer = await media.anchor.answer({ callId, fromTag: bTag, toTag: aTag, sdp: A.sdp({ direction: 'inactive' }) });
    assert.equal(sdpDirection(calleeOffer), 'inactive');
    assert.equal(sdpDirection(callerAnswer), 'inactive');
    assert.deepEqual(mediaTarget(calleeOffer), mediaTarget(call.answerSdp), "the callee's re-offer reaches A with A's rtpengine port");
    assert.deepEqual(mediaTarget(callerAnswer), mediaTarget(call.offerSdp), "A's answer reaches B with B's rtpengine port");
  });

  it('an RFC 2543 hold (c=0.0.0.0) reaches the other side still as 0.0.0.0', async () => {
    const call = await connect({ a: 0xa5, b: 0xb5 });
    const held = call.A.sdp().replace('c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0');
    const offer = await media.anchor.offer({ callId: call.callId, fromTag: call.aTag, sdp: held });
    assert.match(offer, /^c=IN IP4 0\.0\.0\.0\r?$/m);
    // rtpengine 10.5 adds the RFC 3264 equivalent itself
    assert.equal(sdpDirection(offer), 'sendonly');
  });

  it('an SDES-SRTP caller reaches the callee as plain RTP; a plain re-offer from the callee keeps the caller on SRTP', async () => {
    const n = ++seq;
    const callId = `media-test-srtp-${n}-${Date.now()}`;
    const [A, B] = await Promise.all([createRtpEndpoint(), createRtpEndpoint()]);
    cleanups.push(async () => {
      await Promise.all([A.stop(), B.stop()]);
      await media.anchor.delete({ callId });
    });
    // RFC 4568: an RTP/SAVP offer with an SDES key
    const srtp = (sdp: string): string => sdp.replace('RTP/AVP', 'RTP/SAVP')
      .replace('a=sendrecv', 'a=sendrecv\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR');
    const offer = await media.anchor.offer({ callId, fromTag: 'a', sdp: srtp(A.sdp()) });
    assert.match(offer, /m=audio \d+ RTP\/AVP /);
    assert.doesNotMatch(offer, /a=crypto/);
    const answer = await media.anchor.answer({ callId, fromTag: 'a', toTag: 'b', sdp: B.sdp() });
    assert.match(answer, /m=audio \d+ RTP\/SAVP /);
    assert.match(answer, /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/);

    const reoffer = await media.anchor.offer({ callId, fromTag: 'b', toTag: 'a', sdp: B.sdp({ direction: 'sendonly' }) });
    assert.match(reoffer, /m=audio \d+ RTP\/SAVP /);
    assert.match(reoffer, /a=crypto:/);
    assert.equal(sdpDirection(reoffer), 'sendonly');
  });

  it('delete ends the session: gone from list(), no more relaying, and deleting again is fine', async () => {
    const call = await connect({ a: 0xa3, b: 0xb3 });
    await call.B.waitFor(0xa3, 5);
    assert.ok((await media.anchor.list()).includes(call.callId));

    await media.anchor.delete({ callId: call.callId });
    assert.ok(!(await media.anchor.list()).includes(call.callId));
    // a packet already in flight may still land; after that, silence while A keeps sending
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(await call.B.quietFor(0xa3, 300), 'rtpengine still relays after delete');
    assert.ok(call.senders[0].sent > 0);

    await media.anchor.delete({ callId: call.callId });
  });

  it('two calls at once do not mix', async () => {
    const [one, two] = await Promise.all([connect({ a: 0x11, b: 0x12 }), connect({ a: 0x21, b: 0x22 })]);
    await Promise.all([one.B.waitFor(0x11, 10), one.A.waitFor(0x12, 10), two.B.waitFor(0x21, 10), two.A.waitFor(0x22, 10)]);
    assert.equal(one.A.received(), one.A.received(0x12), 'call one, A: only B1 audio');
    assert.equal(one.B.received(), one.B.received(0x11), 'call one, B: only A1 audio');
    assert.equal(two.A.received(), two.A.received(0x22), 'call two, A: only B2 audio');
    assert.equal(two.B.received(), two.B.received(0x21), 'call two, B: only A2 audio');
    const ports = [one.offerSdp, one.answerSdp, two.offerSdp, two.answerSdp].map((s) => mediaTarget(s).port);
    assert.equal(new Set(ports).size, 4);
  });

  it('playMedia plays a file to the leg with that tag, and stopMedia stops it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'media-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'tone.wav');
    await writeFile(file, toneWav(3));
    const call = await connect({ a: 0xa4, b: 0xb4 });
    await call.A.waitFor(0xb4, 3);

    await media.anchor.playMedia({ callId: call.callId, fromTag: call.aTag, file });
    // the tone (not one repeated byte, so OTHER) reaches A only
    await call.A.waitFor(OTHER, 10);
    assert.equal(call.B.received(OTHER), 0);

    await media.anchor.stopMedia({ callId: call.callId, fromTag: call.aTag });
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(await call.A.quietFor(OTHER, 300), 'playback goes on after stopMedia');
  });

  it('playMedia plays a mu-law WAV sent as a blob (no shared disk) and reports its duration', async () => {
    const call = await connect({ a: 0xa5, b: 0xb5 });
    await call.A.waitFor(0xb5, 3);
    const samples = new Int16Array(8000); // one second of a 400 Hz tone
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 400 * i) / 8000));
    const played = await media.anchor.playMedia({ callId: call.callId, fromTag: call.aTag, blob: ulawWavBytes(encodeUlaw(samples)) });
    assert.ok(Math.abs((played.durationMs ?? 0) - 1000) <= 40, `duration ${played.durationMs}`);
    await call.A.waitFor(OTHER, 10);
    assert.equal(call.B.received(OTHER), 0);
  });

  it("rtpengine's refusal is a MediaError with its reason", async () => {
    const err = await media.anchor
      .answer({ callId: 'no-such-call', fromTag: 'x', toTag: 'y', sdp: 'v=0\r\n' })
      .then(() => null, (e: unknown) => e);
    assert.ok(err instanceof MediaError, String(err));
    assert.equal(err.code, 'E_MEDIA_NG_ERROR');
    assert.match(err.reason ?? '', /unknown call-id/i);
    assert.equal(await media.anchor.ping(), true);
  });

  it('rtpengine down: bounded MediaError timeout, ping false, nothing crashes', async () => {
    const logger = testLogger();
    const proc = await startRtpengine({ logger, extraArgs: ['--num-threads=1', '--media-num-threads=0'] });
    const anchor = createRtpengineAnchor({ host: proc.address, port: proc.ngPort, timeoutMs: 300, logger });
    cleanups.push(async () => {
      await anchor.close();
      await proc.stop();
    });
    assert.equal(await anchor.ping(), true);
    await proc.stop();

    const A = await createRtpEndpoint();
    cleanups.push(() => A.stop());
    const started = Date.now();
    const err = await anchor.offer({ callId: 'down', fromTag: 'a', sdp: A.sdp() }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof MediaError, String(err));
    assert.equal(err.code, 'E_MEDIA_TIMEOUT');
    assert.ok(Date.now() - started < 1500, 'the timeout must bound the wait');
    assert.equal(await anchor.ping(), false);
  });

  it('sends a request again when the first try gets no answer (UDP loss), within the same bound', async () => {
    // A lossy ng peer: ignores the first request of each kind, answers the repeat.
    const lossy = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => lossy.bind(0, '127.0.0.1', resolve));
    let seen = 0;
    lossy.on('message', (msg, rinfo) => {
      if (++seen % 2 === 1) return;
      const cookie = msg.subarray(0, msg.indexOf(' ')).toString();
      lossy.send(`${cookie} d6:result4:ponge`, rinfo.port, rinfo.address);
    });
    const anchor = createRtpengineAnchor({ host: '127.0.0.1', port: lossy.address().port, timeoutMs: 400, logger: testLogger() });
    cleanups.push(async () => {
      await anchor.close();
      lossy.close();
    });
    const started = Date.now();
    assert.equal(await anchor.ping(), true);
    assert.equal(seen, 2, 'the request went twice');
    assert.ok(Date.now() - started < 450, 'both tries fit in the caller\'s bound');
  });

  it('a reply arriving after the timeout is dropped without crashing', async () => {
    // A slow ng peer: answers every request, 250 ms late.
    const slow = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => slow.bind(0, '127.0.0.1', resolve));
    slow.on('message', (msg, rinfo) => {
      const cookie = msg.subarray(0, msg.indexOf(' ')).toString();
      setTimeout(() => slow.send(`${cookie} d6:result4:ponge`, rinfo.port, rinfo.address), 250);
    });
    const anchor = createRtpengineAnchor({ host: '127.0.0.1', port: slow.address().port, timeoutMs: 100, logger: testLogger() });
    cleanups.push(async () => {
      await anchor.close();
      slow.close();
    });
    // rtpengine-client console.logs a reply it cannot correlate; keep the test output clean.
    const log = console.log;
    console.log = () => {};
    try {
      assert.equal(await anchor.ping(), false);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      console.log = log;
    }
  });
});

/** `seconds` of a 440 Hz tone as a 16-bit 8 kHz mono WAV file (RIFF, WAVE_FORMAT_PCM). */
function toneWav(seconds: number): Buffer {
  const rate = 8000;
  const data = Buffer.alloc(rate * seconds * 2);
  for (let i = 0; i < rate * seconds; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28); // bytes per second
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}
