import { features } from '../../../features';
import { memoryXcap, presenceFeature, type MemoryXcap } from '../../../features/presence';
import { loadConfig } from '../../../lib/config';
import { startServer, type RunningServer } from '../../../lib/server';
import { apiRequest } from '../../support/api-client';
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
  xcap(): MemoryXcap;
  redis(): TestRedis;
  server(): RunningServer;
  provision(user: string): Promise<void>;
  /** a sipp phone as `caller` running `scenario` against `target` */
  run(scenario: string, caller: string, target: string, opts?: Partial<SippOptions>): Promise<SippResult>;
  /** GET /metrics value of a gauge */
  gauge(name: string): Promise<number>;
}

export function presenceFixture(): PresenceFixture {
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
    const list = features().map((f) => (f.name === 'presence' ? presenceFeature({ xcap: () => xcap }) : f));
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
    async gauge(name) {
      const r = await apiRequest(httpPort, 'GET', '/metrics', undefined, TOKEN);
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      for (const line of text.split('\n')) if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
      return Number.NaN;
    },
  };
  return fx;
}
