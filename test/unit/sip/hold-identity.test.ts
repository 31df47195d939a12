import assert from 'node:assert/strict';
import { isHoldSdp } from '../../../lib/sip/hold';
import { isAnonymous, parseAddress } from '../../../lib/sip/addresses';

describe('sip: hold and identity helpers', () => {
  const sdp = (extra: string, ip = '127.0.0.1'): string => `v=0\r\no=a 1 1 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n${extra}`;
  it('detects hold by sendonly, inactive and c=0.0.0.0 (RFC 3264 8.4)', () => {
    assert.equal(isHoldSdp(sdp('a=sendonly\r\n')), true);
    assert.equal(isHoldSdp(sdp('a=inactive\r\n')), true);
    assert.equal(isHoldSdp(sdp('', '0.0.0.0')), true);
    assert.equal(isHoldSdp(sdp('a=sendrecv\r\n')), false);
    assert.equal(isHoldSdp(sdp('')), false);
  });

  it('recognises anonymous callers (RFC 3323, RFC 5079)', () => {
    assert.equal(isAnonymous('"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1', undefined), true);
    assert.equal(isAnonymous('<sip:alice@example.com>;tag=1', 'id'), true);
    assert.equal(isAnonymous('<sip:alice@example.com>;tag=1', undefined), false);
    assert.deepEqual(parseAddress('"Al, Ice" <sip:alice@Example.COM:5070>;tag=1'), { user: 'alice', host: 'example.com', port: 5070, uri: 'sip:alice@Example.COM:5070', display: 'Al, Ice' });
  });
});
