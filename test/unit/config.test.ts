import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../lib/config';
import { parseSentinelUrl } from '../../lib/store/redis-url';

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
    // issue #15: no API_TOKEN is no error (one is generated into DATA_DIR), data in the checkout, fsync on every write
    assert.equal(loadConfig({}).apiToken, undefined);
    assert.equal(c.dataDir, path.join(__dirname, '../../..', 'data'));
    assert.equal(c.redisAppendfsync, 'always');
    assert.equal(c.mediaRestart, 'reanchor');
    assert.equal(loadConfig({ ...base, MEDIA_RESTART: 'hangup' }).mediaRestart, 'hangup');
    assert.equal(loadConfig({ ...base, DATA_DIR: 'rel/dir' }).dataDir, path.resolve('rel/dir'));
  });

  it('stops on a bad value with a message naming the variable', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ API_TOKEN: 'short' }, /API_TOKEN/],
      [{ ...base, REDIS_APPENDFSYNC: 'sometimes' }, /REDIS_APPENDFSYNC/],
      [{ ...base, SIP_PORT: 'x' }, /SIP_PORT must be a port/],
      [{ ...base, HTTP_PORT: '70000' }, /HTTP_PORT/],
      [{ ...base, RTPENGINE_NG: 'nohost' }, /RTPENGINE_NG must be host:port/],
      [{ ...base, REDIS_URL: 'http://x' }, /REDIS_URL/],
      [{ ...base, DRACHTIO_HOST: 'h' }, /DRACHTIO_SECRET/],
      [{ ...base, LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
      [{ ...base, MEDIA_RESTART: 'ignore' }, /MEDIA_RESTART must be reanchor or hangup/],
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

  it('reads a Sentinel REDIS_URL: the Sentinels, the master name and the passwords', () => {
    const url = 'redis+sentinel://:p%40ss@redis-0.redis-headless:26379,10.0.0.7:26380,[::1]/feature-server';
    assert.equal(loadConfig({ ...base, REDIS_URL: url }).redisUrl, url);
    assert.deepEqual(parseSentinelUrl(url), {
      masterName: 'feature-server',
      sentinels: [{ host: 'redis-0.redis-headless', port: 26379 }, { host: '10.0.0.7', port: 26380 }, { host: '::1', port: 26379 }],
      username: undefined,
      password: 'p@ss',
      sentinelPassword: 'p@ss',
    });
    assert.equal(parseSentinelUrl('redis+sentinel://u:p@h:1/m?sentinelPassword=').sentinelPassword, undefined);
    assert.equal(parseSentinelUrl('redis+sentinel://u:p@h:1/m?sentinelPassword=s').sentinelPassword, 's');
    assert.equal(parseSentinelUrl('redis+sentinel://u:p@h:1/m').username, 'u');
    assert.equal(parseSentinelUrl('redis+sentinel://h:1/m').password, undefined);
  });

  it('stops on a malformed Sentinel REDIS_URL, without printing its password', () => {
    const bad: Array<[string, RegExp]> = [
      ['redis+sentinel://:secret@h:26379', /expected redis\+sentinel:\/\/\[:password@\]host:port/],
      ['redis+sentinel://:secret@h:26379/', /master name is missing/],
      ['redis+sentinel://:secret@/m', /bad Sentinel address ''/],
      ['redis+sentinel://:secret@h:26379,,h2/m', /bad Sentinel address ''/],
      ['redis+sentinel://:secret@h:99999/m', /bad Sentinel address 'h:99999'/],
      ['redis+sentinel://:secret@h_x:1/m', /bad Sentinel address 'h_x:1'/],
      ['redis+sentinel://secret@h:1/m', /\[user\]:password/],
      ['redis+sentinel://:secret@h:1/m?db=2', /unknown parameter 'db'/],
      ['redis+sentinel://:secret@h:1/a/b', /expected/],
      ['rediss+sentinel://:secret@h:1/m', /redis:\/\/, rediss:\/\/ or redis\+sentinel:\/\//],
    ];
    for (const [url, re] of bad) {
      assert.throws(() => loadConfig({ ...base, REDIS_URL: url }), (e: Error) => {
        assert.ok(e instanceof ConfigError, `${url}: ${e.message}`);
        assert.match(e.message, /^REDIS_URL/);
        assert.match(e.message, re);
        assert.doesNotMatch(e.message, /secret/);
        return true;
      }, url);
    }
  });
});
