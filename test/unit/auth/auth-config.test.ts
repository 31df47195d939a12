import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../../lib/config';
import { clientAddress } from '../../../lib/security/client-address';

describe('auth: settings and the address a failure counts against', () => {
  const base = { API_TOKEN: 'secret-token' };

  it('has the documented defaults', () => {
    const c = loadConfig(base);
    assert.deepEqual([c.nonceLifetime, c.digestAlgorithms, c.authFailureLimit, c.authFailureWindow, c.authBanTime, c.maxContacts, c.authTrustedProxies],
      [60, ['SHA-256', 'MD5'], 10, 60, 900, 10, []]);
    const d = loadConfig({ ...base, DIGEST_ALGORITHMS: 'md5', AUTH_TRUSTED_PROXIES: '10.0.0.1, ::1', NONCE_LIFETIME: '30' });
    assert.deepEqual([d.digestAlgorithms, d.authTrustedProxies, d.nonceLifetime], [['MD5'], ['10.0.0.1', '::1'], 30]);
  });

  it('stops on a bad value, naming the variable', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ DIGEST_ALGORITHMS: 'SHA-512' }, /DIGEST_ALGORITHMS/],
      [{ DIGEST_ALGORITHMS: 'MD5,MD5' }, /DIGEST_ALGORITHMS/],
      [{ NONCE_LIFETIME: '1' }, /NONCE_LIFETIME/],
      [{ AUTH_FAILURE_LIMIT: '0' }, /AUTH_FAILURE_LIMIT/],
      [{ AUTH_FAILURE_WINDOW: 'x' }, /AUTH_FAILURE_WINDOW/],
      [{ AUTH_BAN_TIME: '-1' }, /AUTH_BAN_TIME/],
      [{ MAX_CONTACTS: '0' }, /MAX_CONTACTS/],
      [{ AUTH_TRUSTED_PROXIES: 'edge.example.com' }, /AUTH_TRUSTED_PROXIES/],
    ];
    for (const [env, re] of bad) assert.throws(() => loadConfig({ ...base, ...env }), (e: Error) => e instanceof ConfigError && re.test(e.message), JSON.stringify(env));
  });

  it('counts against the packet source, or for a trusted proxy the phone in the Via below its own', () => {
    const edge = new Set(['10.0.0.1']);
    const via = 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa,SIP/2.0/UDP 192.168.1.5:5060;received=203.0.113.7;rport=4000;branch=z9hG4bKb';
    assert.equal(clientAddress('10.0.0.1', via, edge), '203.0.113.7');
    assert.equal(clientAddress('10.0.0.1', 'SIP/2.0/UDP 10.0.0.1;branch=a, SIP/2.0/TCP 198.51.100.2:5062;branch=b', edge), '198.51.100.2');
    assert.equal(clientAddress('10.0.0.1', 'SIP/2.0/UDP 10.0.0.1;branch=a, SIP/2.0/UDP [2001:db8::1]:5060;branch=b', edge), '2001:db8::1');
    // an untrusted source's Via is the sender's word only
    assert.equal(clientAddress('198.51.100.9', via, edge), '198.51.100.9');
    // nothing usable below the proxy: the proxy
    assert.equal(clientAddress('10.0.0.1', 'SIP/2.0/UDP 10.0.0.1;branch=a', edge), '10.0.0.1');
    assert.equal(clientAddress('10.0.0.1', 'SIP/2.0/UDP 10.0.0.1;branch=a, SIP/2.0/UDP phone.invalid;branch=b', edge), '10.0.0.1');
  });
});
