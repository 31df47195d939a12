import assert from 'node:assert/strict';
import { continueOrigin, lastSentSdp, originLine, SdpOrigin, sentFirst, stampFor } from '../../../lib/sip/sdp-origin';

const sdp = (o: string, dir = 'sendrecv', port = 30000): string =>
  `v=0\r\n${o}\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=${dir}\r\n`;
const o = (s: string): string | undefined => /^o=.*$/m.exec(s)?.[0].trimEnd();

describe('SDP origin per dialog side (RFC 3264 8, RFC 4566 5.2)', () => {
  it('keeps the first o= line of a dialog and counts its version up by one per changed SDP', () => {
    const d = { local: { sdp: sdp('o=- 1000 7 IN IP4 127.0.0.1') } };
    // each SDP the server builds carries the o= of whatever it came from (music, retriever)
    const music = stampFor(d, sdp('o=msrv 555 1 IN IP4 127.0.0.9', 'sendonly'));
    assert.equal(o(music), 'o=- 1000 8 IN IP4 127.0.0.1');
    const again = stampFor(d, sdp('o=msrv 555 2 IN IP4 127.0.0.9', 'sendonly'));
    assert.equal(o(again), 'o=- 1000 8 IN IP4 127.0.0.1', 'an unchanged description keeps its version');
    const back = stampFor(d, sdp('o=retriever 9 9 IN IP4 127.0.0.2', 'sendrecv', 30002));
    assert.equal(o(back), 'o=- 1000 9 IN IP4 127.0.0.1');
    assert.equal(back.replace(/^o=.*$/m, ''), sdp('o=retriever 9 9 IN IP4 127.0.0.2', 'sendrecv', 30002).replace(/^o=.*$/m, ''), 'only the o= line changes');
    assert.equal(lastSentSdp(d), back);
    assert.equal(originLine(d), 'o=- 1000 9 IN IP4 127.0.0.1');
  });

  it('dialogs are apart; the first SDP sent outside the INVITE (an ACK, a resumed dialog) sets the origin', () => {
    const a = { local: { sdp: sdp('o=- 1 1 IN IP4 127.0.0.1') } };
    const b = { local: {} };
    sentFirst(b, sdp('o=- 42 3 IN IP4 127.0.0.1'));
    assert.equal(o(stampFor(a, sdp('o=x 5 5 IN IP4 127.0.0.5', 'inactive'))), 'o=- 1 2 IN IP4 127.0.0.1');
    assert.equal(o(stampFor(b, sdp('o=x 5 5 IN IP4 127.0.0.5', 'inactive'))), 'o=- 42 4 IN IP4 127.0.0.1');
    const fresh = { local: {} };
    assert.equal(o(stampFor(fresh, sdp('o=y 6 6 IN IP4 127.0.0.6'))), 'o=y 6 6 IN IP4 127.0.0.6', 'nothing known: this one sets it');
    assert.equal(o(stampFor(fresh, sdp('o=z 1 1 IN IP4 127.0.0.7', 'sendonly'))), 'o=y 6 7 IN IP4 127.0.0.6');
  });

  it('a new owner goes on from the stored line; 64-bit versions count on', () => {
    assert.equal(o(continueOrigin('o=- 77 18446744073709551615 IN IP4 127.0.0.1', sdp('o=a 1 1 IN IP4 127.0.0.3'))), 'o=- 77 18446744073709551616 IN IP4 127.0.0.1');
    assert.equal(o(continueOrigin(undefined, sdp('o=a 1 1 IN IP4 127.0.0.3'))), 'o=a 1 1 IN IP4 127.0.0.3');
  });

  it('refuses what is no o= line, and leaves an SDP without one alone', () => {
    for (const bad of ['o=- 1 1 IN IP4', 'o=- x 1 IN IP4 h', 'o=- 1 1.5 IN IP4 h', `o=- ${'9'.repeat(21)} 1 IN IP4 h`, 'v=0', `o=${' '.repeat(5000)}`]) {
      assert.equal(SdpOrigin.parse(bad), undefined, bad.slice(0, 40));
    }
    const d = { local: { sdp: sdp('o=- 1 1 IN IP4 127.0.0.1') } };
    assert.equal(stampFor(d, 'v=0\r\ns=-\r\n'), 'v=0\r\ns=-\r\n');
    const odd = { local: { sdp: sdp("o=$&$' 1 1 IN IP4 127.0.0.1") } };
    assert.equal(o(stampFor(odd, sdp('o=- 2 2 IN IP4 h', 'recvonly'))), "o=$&$' 1 2 IN IP4 127.0.0.1", 'the line is written as it is, no replacement patterns');
  });
});
