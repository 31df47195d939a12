import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DigestAuth, parseDigest } from '../../../lib/sip/digest-auth';
import { isHoldSdp } from '../../../lib/sip/hold';
import { isAnonymous, parseAddress } from '../../../lib/sip/addresses';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function answer(challenge: string, user: string, password: string, method: string, uri: string, qop = true): string {
  const p = parseDigest(challenge.replace(/^Digest /, 'Digest username="x", uri="x", response="x", '));
  const realm = p?.realm ?? '';
  const nonce = p?.nonce ?? '';
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = qop ? md5(`${ha1}:${nonce}:00000001:abc:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}"${qop ? ', qop=auth, nc=00000001, cnonce="abc"' : ''}, algorithm=MD5`;
}

describe('sip: digest authentication (RFC 2617 / RFC 3261 22)', () => {
  const ha1 = md5('alice:example.com:secret');

  it('accepts the right response, with and without qop', () => {
    const d = new DigestAuth();
    for (const qop of [true, false]) {
      const creds = parseDigest(answer(d.challenge('example.com'), 'alice', 'secret', 'REGISTER', 'sip:example.com', qop));
      assert.ok(creds);
      assert.equal(d.verify(creds, 'REGISTER', ha1), 'ok');
    }
  });

  it('refuses a wrong password, another method, or a nonce it did not issue', () => {
    const d = new DigestAuth();
    const creds = parseDigest(answer(d.challenge('example.com'), 'alice', 'wrong', 'REGISTER', 'sip:example.com'));
    assert.equal(creds && d.verify(creds, 'REGISTER', ha1), 'bad');
    const right = parseDigest(answer(d.challenge('example.com'), 'alice', 'secret', 'REGISTER', 'sip:example.com'));
    assert.equal(right && d.verify(right, 'INVITE', ha1), 'bad');
    const other = new DigestAuth();
    const forged = parseDigest(answer(other.challenge('example.com'), 'alice', 'secret', 'REGISTER', 'sip:example.com'));
    assert.equal(forged && d.verify(forged, 'REGISTER', ha1), 'bad');
  });

  it('calls an expired nonce stale, so the phone retries without asking the user', () => {
    const d = new DigestAuth(undefined, -1);
    const creds = parseDigest(answer(d.challenge('example.com'), 'alice', 'secret', 'REGISTER', 'sip:example.com'));
    assert.equal(creds && d.verify(creds, 'REGISTER', ha1), 'stale');
    assert.match(d.challenge('example.com', true), /stale=true/);
  });

  it('shares nonces between instances with the same secret', async () => {
    const secret = Buffer.alloc(32, 7);
    const a = new DigestAuth(secret);
    const b = new DigestAuth(secret);
    const header = answer(a.challenge('example.com'), 'alice', 'secret', 'INVITE', 'sip:bob@example.com');
    const r = await b.check(header, 'example.com', 'INVITE', async () => ha1);
    assert.deepEqual(r, { outcome: 'ok', username: 'alice' });
    assert.equal((await b.check(undefined, 'example.com', 'INVITE', async () => ha1)).outcome, 'missing');
    assert.equal((await b.check(header, 'other.com', 'INVITE', async () => ha1)).outcome, 'missing');
  });
});

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
