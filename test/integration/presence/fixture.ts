import http from 'node:http';
import { features } from '../../../features';
import { memoryXcap, presenceFeature, type MemoryXcap } from '../../../features/presence';
import { loadConfig } from '../../../lib/config';
import { startServer, type RunningServer } from '../../../lib/server';
import { apiRequest } from '../../support/api-client';
import { answer } from '../../support/digest-client';
import { phonesAt } from '../../support/phones';
import { freePort } from '../../support/ports';
import { startTestRedis, type TestRedis } from '../../support/redis';
import { testLogger, withRtpengine } from '../../support/rtpengine';
import type { SippOptions, SippResult, SippRun } from '../../support/sipp';
import { startTestSipEngine, type TestSipEngine } from '../../support/test-engine';

export const TENANT = '127.0.0.1';
const TOKEN = 'test-token-0123456789';

/**
 * The feature server with presence on an in-memory Xcap the test sets rules in (the XCAP
 * HTTP steps of flows 4.4-4.9 are the XCAP server's own tests), on a real redis-server,
 * rtpengine and SIP engine; sipp plays the phones.
 */
export interface PresenceFixture {
  /** the in-memory rules (the fixture without `xcap: 'http'`) */
  xcap(): MemoryXcap;
  /** an XCAP request by `user` with HTTP digest on its SIP password (the fixture with `xcap: 'http'`) */
  xcapRequest(user: string, method: 'GET' | 'PUT' | 'DELETE', path: string, body?: string, contentType?: string): Promise<{ status: number; body: string }>;
  redis(): TestRedis;
  server(): RunningServer;
  provision(user: string): Promise<void>;
  /** a sipp phone as `caller` running `scenario` against `target` */
  run(scenario: string, caller: string, target: string, opts?: Partial<SippOptions>): Promise<SippResult>;
  /** GET /metrics value of a gauge */
  gauge(name: string): Promise<number>;
}

export interface PresenceFixtureOptions {
  /** 'memory': rules set by the test in memory (default); 'http': the real XCAP server, edited over HTTP */
  xcap?: 'memory' | 'http';
}

export function presenceFixture(opts: PresenceFixtureOptions = {}): PresenceFixture {
  const media = withRtpengine();
  let redis: TestRedis | undefined;
  let server: RunningServer | undefined;
  let engine: TestSipEngine | undefined;
  let sipPort = 0;
  let httpPort = 0;
  const xcap = memoryXcap();
  const sipps: SippRun[] = [];

  before(async function () {
    this.timeout(30000);
    await media.start();
    redis = await startTestRedis();
    sipPort = await freePort('both');
    httpPort = await freePort('tcp');
    engine = await startTestSipEngine({ sipPort });
    const config = loadConfig({
      ...engine.env, API_TOKEN: TOKEN, SIP_PORT: String(sipPort), HTTP_PORT: String(httpPort), REDIS_URL: redis.url,
      RTPENGINE_NG: `127.0.0.1:${media.process.ngPort}`, MIN_EXPIRES: '1', LOG_LEVEL: 'warn', DIGEST_ALGORITHMS: 'MD5',
    });
    const list = opts.xcap === 'http' ? features() : features().map((f) => (f.name === 'presence' ? presenceFeature({ xcap: () => xcap }) : f));
    server = await startServer({ config, logger: testLogger(), features: list, engineArgs: engine.engineArgs });
  });

  afterEach(async function () {
    this.timeout(15000);
    for (const s of sipps.splice(0)) await s.kill();
  });

  after(async function () {
    this.timeout(20000);
    await server?.stop();
    await engine?.stop();
    await redis?.stop();
    await media.stop();
  });

  const phones = phonesAt(() => `127.0.0.1:${sipPort}`, sipps);
  const fx: PresenceFixture = {
    xcap: () => xcap,
    redis: () => {
      if (!redis) throw new Error('redis not started');
      return redis;
    },
    server: () => {
      if (!server) throw new Error('server not started');
      return server;
    },
    async provision(user) {
      const r = await apiRequest(httpPort, 'PUT', `/v1/tenants/${TENANT}/users/${user}`, { password: `pw-${user}` }, TOKEN);
      if (r.status !== 201 && r.status !== 200) throw new Error(`provisioning ${user}: ${r.status}`);
    },
    run: (scenario, caller, target, o) => phones.call(scenario, caller, target, o),
    xcapRequest: (user, method, path, body, contentType) => xcapRequestAt(httpPort, user, method, path, body, contentType),
    async gauge(name) {
      const r = await apiRequest(httpPort, 'GET', '/metrics', undefined, TOKEN);
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      for (const line of text.split('\n')) if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
      return Number.NaN;
    },
  };
  return fx;
}

/** An XCAP request by `user` to the HTTP server at `port`, with HTTP digest on its SIP password `pw-<user>`. */
export async function xcapRequestAt(port: number, user: string, method: 'GET' | 'PUT' | 'DELETE', path: string, body?: string,
  contentType?: string): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  const challenge = await httpRequest(port, method, path, headers, body);
  if (challenge.status !== 401) return challenge;
  const offered = ([] as string[]).concat(challenge.headers['www-authenticate'] ?? []);
  const authorization = answer(offered[0] ?? '', { user, password: `pw-${user}`, method, uri: path });
  return httpRequest(port, method, path, { ...headers, authorization }, body);
}

function httpRequest(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path,
      headers: { ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
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
