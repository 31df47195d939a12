import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../lib/config';

describe('config: environment variables', () => {
  const base = { API_TOKEN: 'secret-token' };

  it('has the documented defaults', () => {
    const c = loadConfig(base);
    assert.equal(c.sipHost, '127.0.0.1');
    assert.equal(c.sipPort, 5060);
    assert.equal(c.httpPort, 3000);
    assert.equal(c.noAnswerTimeout, 30);
    assert.equal(c.anonymousRejectStatus, 433);
    assert.equal(c.redisUrl, undefined);
    assert.equal(c.rtpengine, undefined);
    assert.equal(c.drachtio, undefined);
    assert.deepEqual([c.rtpPortMin, c.rtpPortMax], [30000, 39999]);
  });

  it('stops on a bad value with a message naming the variable', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{}, /API_TOKEN/],
      [{ ...base, SIP_PORT: 'x' }, /SIP_PORT must be a port/],
      [{ ...base, HTTP_PORT: '70000' }, /HTTP_PORT/],
      [{ ...base, RTPENGINE_NG: 'nohost' }, /RTPENGINE_NG must be host:port/],
      [{ ...base, REDIS_URL: 'http://x' }, /REDIS_URL/],
      [{ ...base, DRACHTIO_HOST: 'h' }, /DRACHTIO_SECRET/],
      [{ ...base, LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
      [{ ...base, NO_ANSWER_TIMEOUT: '0' }, /NO_ANSWER_TIMEOUT/],
      [{ ...base, MIN_EXPIRES: '600', MAX_EXPIRES: '60' }, /MAX_EXPIRES/],
      [{ ...base, RTP_PORT_MIN: '40000', RTP_PORT_MAX: '40001' }, /RTP_PORT_MAX/],
    ];
    for (const [env, re] of bad) assert.throws(() => loadConfig(env), (e: Error) => e instanceof ConfigError && re.test(e.message), JSON.stringify(env));
  });

  it('reads an external drachtio-server, Redis and rtpengine', () => {
    const c = loadConfig({ ...base, DRACHTIO_HOST: '10.0.0.5', DRACHTIO_SECRET: 's', REDIS_URL: 'redis://r:6379', RTPENGINE_NG: 'rtp:22222' });
    assert.deepEqual(c.drachtio, { host: '10.0.0.5', port: 9022, secret: 's' });
    assert.equal(c.redisUrl, 'redis://r:6379');
    assert.deepEqual(c.rtpengine, { host: 'rtp', port: 22222 });
  });
});
