import assert from 'node:assert/strict';
import { parse } from 'sdp-transform';
import { answerTarget, chosenPayloadType, sdpOffer } from '../../../lib/media/audio/media-sdp';

const answer = (lines: string[]): string => [...lines, ''].join('\r\n');

describe('moh music: SDP of the hold leg', () => {
  it('offers PCMU and PCMA at 20 ms, sendonly, from the stream address and port', () => {
    const sdp = sdpOffer({ localAddress: '127.0.0.1', localPort: 40002 }, { sessionId: 1712345678901, version: 2 });
    assert.ok(sdp.endsWith('\r\n'));
    assert.ok(!/[^\r]\n/.test(sdp), 'CRLF line ends (RFC 4566 5)');
    assert.match(sdp, /^v=0\r\no=- 1712345678901 2 IN IP4 127\.0\.0\.1\r\ns=[^\r]+\r\nc=IN IP4 127\.0\.0\.1\r\nt=0 0\r\n/);
    assert.match(sdp, /\r\nm=audio 40002 RTP\/AVP 0 8\r\n/);
    const audio = parse(sdp).media[0];
    assert.deepEqual(
      audio.rtp.map((r) => [r.payload, r.codec, r.rate]),
      [
        [0, 'PCMU', 8000],
        [8, 'PCMA', 8000],
      ],
    );
    assert.equal(audio.ptime, 20);
    assert.equal(audio.direction, 'sendonly');
  });

  it('offers IPv6, an overriding address, and big session ids', () => {
    const sdp = sdpOffer({ localAddress: '::1', localPort: 5000 }, { sessionId: 18446744073709551615n, version: '7' });
    assert.match(sdp, /\r\no=- 18446744073709551615 7 IN IP6 ::1\r\n/);
    assert.match(sdp, /\r\nc=IN IP6 ::1\r\n/);
    const over = sdpOffer({ localAddress: '0.0.0.0', localPort: 5000 }, { sessionId: 1, version: 1, address: '192.0.2.7' });
    assert.match(over, /\r\nc=IN IP4 192\.0\.2\.7\r\n/);
  });

  it('refuses to advertise an unspecified address or a malformed o= field', () => {
    assert.throws(() => sdpOffer({ localAddress: '0.0.0.0', localPort: 5000 }, { sessionId: 1, version: 1 }), /unspecified address/);
    assert.throws(() => sdpOffer({ localAddress: '127.0.0.1', localPort: 5000 }, { sessionId: '12 34', version: 1 }), /sessionId/);
    assert.throws(() => sdpOffer({ localAddress: '127.0.0.1', localPort: 5000 }, { sessionId: 1, version: -1 }), /version/);
  });

  it('reads the chosen codec: the first of 0 or 8 on the answer audio line', () => {
    const base = ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0'];
    assert.equal(chosenPayloadType(answer([...base, 'm=audio 30000 RTP/AVP 8 0', 'a=recvonly'])), 8);
    assert.equal(chosenPayloadType(answer([...base, 'm=audio 30000 RTP/AVP 0'])), 0);
    assert.equal(chosenPayloadType(answer([...base, 'm=audio 30000 RTP/AVP 101 18 0 8'])), 0);
    assert.equal(chosenPayloadType(answer([...base, 'm=audio 30000 RTP/AVP 18'])), undefined);
    assert.equal(chosenPayloadType(answer([...base, 'm=audio 0 RTP/AVP 0'])), undefined, 'rejected audio');
    assert.equal(chosenPayloadType(answer([...base, 'm=video 30000 RTP/AVP 0'])), undefined, 'no audio');
  });

  it('reads where to send: media-level c= over session-level c=', () => {
    const base = ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0'];
    assert.deepEqual(answerTarget(answer([...base, 'm=audio 30000 RTP/AVP 0'])), { address: '10.0.0.1', port: 30000 });
    assert.deepEqual(answerTarget(answer([...base, 'm=audio 30002 RTP/AVP 0', 'c=IN IP4 10.0.0.9'])), { address: '10.0.0.9', port: 30002 });
    const noSessionC = ['v=0', 'o=- 1 1 IN IP6 ::1', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 8', 'c=IN IP6 ::1'];
    assert.deepEqual(answerTarget(answer(noSessionC)), { address: '::1', port: 4000 });
  });

  it('gives no target when the answer says not to send', () => {
    const head = ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 't=0 0'];
    assert.equal(answerTarget(answer([...head, 'm=audio 30000 RTP/AVP 0'])), undefined, 'no c=');
    assert.equal(answerTarget(answer([...head, 'c=IN IP4 10.0.0.1', 'm=audio 0 RTP/AVP 0'])), undefined, 'port 0');
    assert.equal(answerTarget(answer([...head, 'c=IN IP4 0.0.0.0', 'm=audio 30000 RTP/AVP 0'])), undefined, 'RFC 2543 hold');
    assert.equal(answerTarget(answer([...head, 'c=IN IP4 10.0.0.1'])), undefined, 'no m=audio');
  });
});
