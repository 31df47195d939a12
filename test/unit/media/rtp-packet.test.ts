import assert from 'node:assert/strict';
import { parseRtpHeader, rtpPacket } from '../../../lib/media/audio/rtp-packet';

describe('moh music: RTP packets (RFC 3550 5.1)', () => {
  it('writes V=2, marker, PT, and wraps sequence and timestamp', () => {
    const p = rtpPacket({ payloadType: 8, marker: true, sequence: 0x1_0005, timestamp: 2 ** 32 + 7, ssrc: 0xdeadbeef }, Buffer.from([1, 2, 3]));
    assert.deepEqual([...p.subarray(0, 12)], [0x80, 0x88, 0x00, 0x05, 0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef]);
    assert.deepEqual([...p.subarray(12)], [1, 2, 3]);
    const h = parseRtpHeader(p);
    assert.deepEqual(h && { ...h, payload: [...h.payload] }, {
      payloadType: 8,
      marker: true,
      sequence: 5,
      timestamp: 7,
      ssrc: 0xdeadbeef,
      payload: [1, 2, 3],
    });
    assert.equal(parseRtpHeader(Buffer.alloc(12)), undefined, 'version 0 is not RTP');
  });
});
