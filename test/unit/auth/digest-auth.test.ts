import assert from 'node:assert/strict';
import { DigestAuth, digestResponse, type Ha1s } from '../../../lib/sip/digest-auth';
import { parseDigest } from '../../../lib/sip/digest-params';
import { sameSipUri } from '../../../lib/sip/sip-uri-equal';
import { answer, challengeParams, ha1 } from '../../support/digest-client';

const REALM = 'example.com';
const URI = 'sip:bob@example.com';
const alice: Ha1s = { MD5: ha1('MD5', 'alice', REALM, 'secret'), 'SHA-256': ha1('SHA-256', 'alice', REALM, 'secret') };
const lookup = async (user: string): Promise<Ha1s | undefined> => (user === 'alice' ? alice : undefined);
const req = (header: string, method = 'INVITE', requestUri = URI) => ({ header, realm: REALM, method, requestUri });

describe('auth: digest math and nonces (RFC 7616, RFC 8760, RFC 3261 22)', () => {
  it('computes RFC 7616 3.9.1 example responses (MD5 and SHA-256, qop=auth)', () => {
    // RFC 7616 3.9.1: Mufasa / "Circle of Life" / http-auth@example.org, GET /dir/index.html
    const c = { method: 'GET', uri: '/dir/index.html', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', qop: 'auth' };
    assert.equal(digestResponse('MD5', ha1('MD5', 'Mufasa', 'http-auth@example.org', 'Circle of Life'), c), '8ca523f5e9506fed4657c9700eebdbec');
    assert.equal(digestResponse('SHA-256', ha1('SHA-256', 'Mufasa', 'http-auth@example.org', 'Circle of Life'), c),
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('offers SHA-256 then MD5 with one nonce (RFC 8760 2.3), and only what it is told', () => {
    const d = new DigestAuth();
    const [first, second] = d.challenge(REALM);
    assert.match(first, /algorithm=SHA-256/);
    assert.match(second, /algorithm=MD5/);
    assert.equal(challengeParams(first).nonce, challengeParams(second).nonce);
    assert.deepEqual(new DigestAuth({ algorithms: ['MD5'] }).challenge(REALM).length, 1);
    assert.match(d.challenge(REALM, { stale: true })[0], /stale=true/);
    assert.deepEqual(d.challenge(REALM, { algorithms: ['MD5'] }).map((c) => challengeParams(c).algorithm), ['MD5']);
  });

  it('accepts the right response with either algorithm, with and without qop', async () => {
    const d = new DigestAuth();
    for (const [ch, nc] of [[0, 1], [1, 1], [0, null], [1, null]] as const) {
      const h = answer(d.challenge(REALM)[ch], { user: 'alice', password: 'secret', method: 'INVITE', uri: URI, nc });
      assert.deepEqual(await d.check(req(h), lookup), { outcome: 'ok', username: 'alice' }, h);
    }
  });

  it('refuses a wrong password, another method and an unknown user as bad', async () => {
    const d = new DigestAuth();
    const wrong = answer(d.challenge(REALM)[0], { user: 'alice', password: 'nope', method: 'INVITE', uri: URI });
    assert.equal((await d.check(req(wrong), lookup)).outcome, 'bad');
    const right = answer(d.challenge(REALM)[0], { user: 'alice', password: 'secret', method: 'INVITE', uri: URI });
    assert.equal((await d.check(req(right, 'BYE'), lookup)).outcome, 'bad');
    const nobody = answer(d.challenge(REALM)[0], { user: 'mallory', password: 'secret', method: 'INVITE', uri: URI });
    assert.equal((await d.check(req(nobody), lookup)).outcome, 'bad');
  });

  it('a nonce-count is single use; without qop the nonce is (replay)', async () => {
    const d = new DigestAuth();
    const ch = d.challenge(REALM)[1];
    const one = answer(ch, { user: 'alice', password: 'secret', method: 'INVITE', uri: URI, nc: 1 });
    assert.equal((await d.check(req(one), lookup)).outcome, 'ok');
    assert.equal((await d.check(req(one), lookup)).outcome, 'replay');
    const two = answer(ch, { user: 'alice', password: 'secret', method: 'INVITE', uri: URI, nc: 2 });
    assert.equal((await d.check(req(two), lookup)).outcome, 'ok');
    const plain = answer(ch, { user: 'alice', password: 'secret', method: 'INVITE', uri: URI, nc: null });
    assert.equal((await d.check(req(plain), lookup)).outcome, 'ok');
    assert.equal((await d.check(req(plain), lookup)).outcome, 'replay');
  });

  it('right hash on an expired or foreign nonce is stale; wrong hash on one is bad', async () => {
    let now = 1_000_000;
    const d = new DigestAuth({ nonceLifetimeMs: 30_000, now: () => now });
    const ch = d.challenge(REALM)[0];
    now += 30_001;
    assert.equal((await d.check(req(answer(ch, { user: 'alice', password: 'secret', method: 'INVITE', uri: URI })), lookup)).outcome, 'stale');
    assert.equal((await d.check(req(answer(ch, { user: 'alice', password: 'bad', method: 'INVITE', uri: URI })), lookup)).outcome, 'bad');
    const other = new DigestAuth().challenge(REALM)[0];
    assert.equal((await d.check(req(answer(other, { user: 'alice', password: 'secret', method: 'INVITE', uri: URI })), lookup)).outcome, 'stale');
    const forged = other.replace(/nonce="([^"]+)"/, 'nonce="not-a-nonce-of-ours"');
    assert.equal((await d.check(req(answer(forged, { user: 'alice', password: 'secret', method: 'INVITE', uri: URI })), lookup)).outcome, 'stale');
  });

  it('the digest uri must be the Request-URI', async () => {
    const d = new DigestAuth();
    let looked = 0;
    const h = answer(d.challenge(REALM)[0], { user: 'alice', password: 'secret', method: 'INVITE', uri: 'sip:carol@example.com' });
    assert.deepEqual(await d.check(req(h), async (u) => (looked++, lookup(u))), { outcome: 'uri-mismatch', username: 'alice' });
    assert.equal(looked, 0, 'no user lookup for a mismatch');
    const same = answer(d.challenge(REALM)[0], { user: 'alice', password: 'secret', method: 'INVITE', uri: 'SIP:bob@EXAMPLE.com' });
    assert.equal((await d.check(req(same), lookup)).outcome, 'ok');
  });

  it('challenges again for an algorithm not offered, or one the user has no HA1 for', async () => {
    const md5Only = new DigestAuth({ algorithms: ['MD5'] });
    const sha = answer(new DigestAuth().challenge(REALM)[0], { user: 'alice', password: 'secret', method: 'INVITE', uri: URI });
    assert.equal((await md5Only.check(req(sha), lookup)).outcome, 'unsupported');
    const d = new DigestAuth();
    const r = await d.check(req(answer(d.challenge(REALM)[0], { user: 'alice', password: 'secret', method: 'INVITE', uri: URI })),
      async () => ({ MD5: alice.MD5 }));
    assert.deepEqual(r, { outcome: 'unsupported', username: 'alice', algorithms: ['MD5'] });
  });

  it('credentials of another realm, or none, are missing', async () => {
    const d = new DigestAuth();
    const h = answer(d.challenge('other.com')[0], { user: 'alice', password: 'secret', method: 'INVITE', uri: URI });
    assert.equal((await d.check(req(h), lookup)).outcome, 'missing');
    assert.equal((await d.check({ ...req(''), header: undefined }, lookup)).outcome, 'missing');
  });
});

describe('auth: digest parameter parser', () => {
  it('reads quoted, escaped and bare values, any case of names', () => {
    assert.deepEqual(parseDigest('Digest USERNAME="al\\"ice", realm="r", nonce="n", uri="sip:a@b;x=1", response="ab", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c"'),
      { username: 'al"ice', realm: 'r', nonce: 'n', uri: 'sip:a@b;x=1', response: 'ab', algorithm: 'SHA-256', qop: 'auth', nc: '00000001', cnonce: 'c' });
    assert.equal(parseDigest('Digest  username = "a" ,realm="r",nonce="n",uri="u",response="x"')?.username, 'a');
  });

  it('refuses what is not Digest, malformed, repeated, incomplete or too long', () => {
    for (const bad of [undefined, '', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Digestusername="a"', 'Digest username="a', 'Digest username="a" realm="r"',
      'Digest username="a", username="b", realm="r", nonce="n", uri="u", response="x"', 'Digest realm="r", nonce="n", uri="u", response="x"',
      `Digest username="${'a'.repeat(5000)}", realm="r", nonce="n", uri="u", response="x"`]) {
      assert.equal(parseDigest(bad), null, String(bad).slice(0, 80));
    }
  });

  it('takes linear time on hostile input (no backtracking)', () => {
    const hostile = [`Digest ${'a=b,'.repeat(1000)}`, `Digest username="${'\\"'.repeat(1000)}`, `Digest ${' '.repeat(4000)}`, `Digest a=${'='.repeat(4000)}`];
    for (const h of hostile) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) parseDigest(h);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      assert.ok(ms < 500, `${ms} ms for 100 parses of ${h.slice(0, 30)}`);
    }
  });
});

describe('auth: SIP URI comparison (RFC 3261 19.1.4)', () => {
  it('matches the RFC\'s equal pairs', () => {
    for (const [a, b] of [
      ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
      ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
      ['sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'],
      ['sip:[::1]:5060', 'sip:[::1]:5060'],
    ]) assert.ok(sameSipUri(a, b), `${a} = ${b}`);
  });

  it('tells the RFC\'s unequal pairs apart', () => {
    for (const [a, b] of [
      ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
      ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
      ['sip:bob@biloxi.com', 'sips:bob@biloxi.com'],
      ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
      ['sip:carol@chicago.com', 'sip:carol@chicago.com;maddr=1.2.3.4'],
      ['sip:bob@example.com', 'sip:carol@example.com'],
      ['sip:example.com', 'sip:bob@example.com'],
      ['sip:a@b?h=1', 'sip:a@b'],
    ]) assert.ok(!sameSipUri(a, b), `${a} != ${b}`);
  });
});
