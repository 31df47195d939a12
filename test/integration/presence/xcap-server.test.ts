import assert from 'node:assert/strict';
import http from 'node:http';
import { createXcap, type Xcap, type XcapChange } from '../../../features/presence/xcap';
import type { HttpMount } from '../../../lib/api';
import { loadConfig } from '../../../lib/config';
import type { Feature } from '../../../lib/feature';
import { startServer, type RunningServer } from '../../../lib/server';
import { UserRepository } from '../../../lib/store';
import { answer } from '../../support/digest-client';
import { freePort } from '../../support/ports';
import { startTestRedis, type TestRedis } from '../../support/redis';
import { testLogger, withRtpengine } from '../../support/rtpengine';
import { startTestSipEngine, type TestSipEngine } from '../../support/test-engine';

const TOKEN = 'xcap-server-token-0123456789';
const CP = 'urn:ietf:params:xml:ns:common-policy';
const PR = 'urn:ietf:params:xml:ns:pres-rules';

function request(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/**
 * The composition root mounts a feature's own HTTP protocol (Feature.http) beside the
 * REST API: XCAP as the presence feature will carry it, on a whole server.
 */
describe('presence xcap: mounted by the server through Feature.http', function () {
  this.timeout(60000);
  const media = withRtpengine();
  let redis: TestRedis;
  let engine: TestSipEngine;
  let server: RunningServer;
  let xcap: (Xcap & { mount(m: HttpMount): void; stop(): Promise<void> }) | undefined;

  const feature: Feature = {
    name: 'xcap-under-test',
    start(ctx) {
      xcap = createXcap({ redis: ctx.redis, logger: ctx.logger, bus: ctx.bus });
    },
    http(mount) {
      xcap?.mount(mount);
    },
    stop: () => xcap?.stop(),
  };

  before(async () => {
    await media.start();
    redis = await startTestRedis();
    const sipPort = await freePort('both');
    engine = await startTestSipEngine({ sipPort });
    const config = loadConfig({
      ...engine.env, API_TOKEN: TOKEN, SIP_PORT: String(sipPort), HTTP_PORT: String(await freePort('tcp')), REDIS_URL: redis.url,
      RTPENGINE_NG: `127.0.0.1:${media.process.ngPort}`, LOG_LEVEL: 'warn',
    });
    server = await startServer({ config, logger: testLogger(), features: [feature], engineArgs: engine.engineArgs });
    await new UserRepository(redis.client).put('example.com', 'alice', { password: 'pw-alice' });
  });
  after(async () => {
    await server?.stop();
    await engine?.stop();
    await redis?.stop();
    await media.stop();
  });

  it('serves /xcap-root with digest (no bearer token), keeps /v1 bearer-protected, and reports changes', async () => {
    const port = server.httpPort;
    assert.equal((await request(port, 'GET', '/xcap-root/xcap-caps/global/index')).status, 200);
    assert.equal((await request(port, 'GET', '/v1/calls')).status, 401);
    assert.equal((await request(port, 'GET', '/v1/calls', { authorization: `Bearer ${TOKEN}` })).status, 200);

    const path = '/xcap-root/pres-rules/users/sip:alice@example.com/index';
    const body = `<ruleset xmlns="${CP}"><rule id="a"><conditions/><actions><sub-handling xmlns="${PR}">allow</sub-handling></actions></rule></ruleset>`;
    const headers = { 'content-type': 'application/auth-policy+xml' };
    const challenge = await request(port, 'PUT', path, headers, body);
    assert.equal(challenge.status, 401);
    // the bearer token is no credential here
    assert.equal((await request(port, 'PUT', path, { ...headers, authorization: `Bearer ${TOKEN}` }, body)).status, 401);
    const offered = ([] as string[]).concat(challenge.headers['www-authenticate'] ?? []);
    const heard = new Promise<XcapChange>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no change heard')), 10_000);
      const off = xcap?.onChange((c) => {
        clearTimeout(timer);
        off?.();
        resolve(c);
      });
    });
    const put = await request(port, 'PUT', path, { ...headers, authorization: answer(offered[0], { user: 'alice', password: 'pw-alice', method: 'PUT', uri: path }) }, body);
    assert.equal(put.status, 201, put.body);
    assert.deepEqual(await heard, { tenant: 'example.com', user: 'alice', auid: 'pres-rules' });
    assert.equal(await xcap?.authorize('example.com', 'alice', 'sip:anyone@example.org'), 'allow');
  });
});
