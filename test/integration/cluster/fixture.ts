import { features } from '../../../features';
import { loadConfig } from '../../../lib/config';
import { startServer, type RunningServer } from '../../../lib/server';
import { apiRequest } from '../../support/api-client';
import { phonesAt } from '../../support/phones';
import { freePort } from '../../support/ports';
import { startTestRedis, type TestRedis } from '../../support/redis';
import { testLogger, withRtpengine, type RtpengineFixture } from '../../support/rtpengine';
import { startSippUas, type SippOptions, type SippResult, type SippRun } from '../../support/sipp';
import { countSrfDialogs, srfDialogCount } from '../../support/srf-dialogs';
import { startTestSipEngine, type TestSipEngine } from '../../support/test-engine';
import { TENANT, TOKEN, type LiveCall } from '../core/fixture';

/** One feature-server instance of the cluster, with its own SIP engine (embedded, or a drachtio-server of its own). */
export interface Instance {
  server: RunningServer;
  sipPort: number;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** REGISTER through this instance (the binding is shared through Redis) */
  register(user: string): Promise<number>;
  call(scenario: string, caller: string, callee: string, opts?: Partial<SippOptions>): Promise<SippResult>;
  liveCall(pred?: (c: LiveCall) => boolean): Promise<LiveCall>;
  /** this instance's engine dialogs where the engine reports them (embedded); on drachtio, every instance's dialogs as srf holds them */
  dialogs(): Promise<number>;
}

export interface ClusterFixture {
  instances: Instance[];
  redis(): TestRedis;
  /** the rtpengine instance `i` anchors its media in (all share one unless rtpenginePerInstance) */
  media(i?: number): RtpengineFixture;
  provision(user: string, extra?: Record<string, unknown>): Promise<void>;
  uas(scenario: string, port: number, opts?: Partial<SippOptions>): Promise<SippRun>;
}


export interface ClusterOptions {
  /** each instance anchors its media in an rtpengine of its own (media crossing instances crosses two) */
  rtpenginePerInstance?: boolean;
}

/**
 * Several feature-server instances, each with its own SIP engine, sharing one
 * Redis and one rtpengine, or one rtpengine each (DESIGN: shared state lets several
 * instances serve one platform). After each test nothing of any call is left on any
 * instance or rtpengine.
 */
export function clusterFixture(n = 2, opts: ClusterOptions = {}): ClusterFixture {
  const medias: RtpengineFixture[] = Array.from({ length: opts.rtpenginePerInstance ? n : 1 }, () => withRtpengine());
  const mediaOf = (i: number): RtpengineFixture => medias[opts.rtpenginePerInstance ? i : 0];
  let redis: TestRedis | undefined;
  const instances: Instance[] = [];
  const engines: TestSipEngine[] = [];
  const sipps: SippRun[] = [];

  before(async function () {
    this.timeout(40000);
    for (const m of medias) await m.start();
    redis = await startTestRedis();
    countSrfDialogs();
    for (let i = 0; i < n; i++) {
      const sipPort = await freePort('both');
      const httpPort = await freePort('tcp');
      const engine = await startTestSipEngine({ sipPort });
      engines.push(engine);
      const config = loadConfig({
        ...engine.env, API_TOKEN: TOKEN, SIP_PORT: String(sipPort), HTTP_PORT: String(httpPort), REDIS_URL: redis.url, INSTANCE_ID: `fs-${i + 1}`,
        RTPENGINE_NG: `127.0.0.1:${mediaOf(i).process.ngPort}`, NO_ANSWER_TIMEOUT: '3', MIN_EXPIRES: '1', LOG_LEVEL: 'warn',
        DIGEST_ALGORITHMS: 'MD5', // sipp 3.6.1 answers only MD5
        CONFERENCE_PORT_MIN: String(40000 + i * 1000), CONFERENCE_PORT_MAX: String(40999 + i * 1000),
      });
      const phones = phonesAt(() => `127.0.0.1:${sipPort}`, sipps);
      const server = await startServer({ config, logger: testLogger(), features: features(), engineArgs: engine.engineArgs });
      const inst: Instance = {
        server, sipPort,
        api: (method, path, body) => apiRequest(httpPort, method, path, body, TOKEN),
        register: (user) => phones.register(user),
        call: (scenario, caller, callee, o) => phones.call(scenario, caller, callee, o),
        async liveCall(pred = (c: LiveCall) => c.state === 'answered') {
          const deadline = Date.now() + 8000;
          while (Date.now() < deadline) {
            const body = (await inst.api('GET', '/v1/calls')).body as { calls?: LiveCall[] };
            const call = (body.calls ?? []).find(pred);
            if (call) return call;
            await new Promise((r) => setTimeout(r, 20));
          }
          throw new Error('no such live call');
        },
        dialogs: async () => (await engine.counts())?.dialogs ?? srfDialogCount(),
      };
      instances.push(inst);
    }
  });

  afterEach(async function () {
    this.timeout(15000);
    for (const s of sipps.splice(0)) await s.kill();
    const deadline = Date.now() + 5000;
    for (;;) {
      const counts = await Promise.all(engines.map((e) => e.counts()));
      const appDialogs = srfDialogCount();
      const callKeys = redis ? await redis.client.keys('call:*') : [];
      const sessions = (await Promise.all(medias.map((m) => m.anchor.list()))).flat();
      const live = instances.reduce((k, i) => k + i.server.calls.size, 0);
      const left = { engineDialogs: counts.map((c) => c?.dialogs), appDialogs, callKeys, sessions, live };
      const enginesIdle = counts.every((c) => !c || c.dialogs === 0);
      if (enginesIdle && appDialogs === 0 && callKeys.length === 0 && sessions.length === 0 && live === 0) break;
      if (Date.now() > deadline) throw new Error(`state left behind after the test: ${JSON.stringify(left)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async function () {
    this.timeout(30000);
    for (const i of instances.splice(0)) await i.server.stop();
    for (const e of engines.splice(0)) await e.stop();
    await redis?.stop();
    for (const m of medias) await m.stop();
  });

  return {
    instances,
    redis: () => {
      if (!redis) throw new Error('redis not started');
      return redis;
    },
    media: (i = 0) => mediaOf(i),
    async provision(user, extra = {}) {
      const res = await instances[0].api('PUT', `/v1/tenants/${TENANT}/users/${user}`, { password: `pw-${user}`, ...extra });
      if (res.status !== 201 && res.status !== 200) throw new Error(`provisioning ${user}: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async uas(scenario, port, opts = {}) {
      const run = await startSippUas({ scenario, localPort: port, ...opts });
      sipps.push(run);
      return run;
    },
  };
}
