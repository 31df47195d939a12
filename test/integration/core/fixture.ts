import { features } from '../../../features';
import { loadConfig } from '../../../lib/config';
import { startServer, type RunningServer } from '../../../lib/server';
import { apiRequest } from '../../support/api-client';
import { phonesAt } from '../../support/phones';
import { freePort } from '../../support/ports';
import { startTestRedis, type TestRedis } from '../../support/redis';
import { captureLogs, type LogEntry } from '../../support/log-capture';
import { withRtpengine, type RtpengineFixture } from '../../support/rtpengine';
import { startSippUas, type SippOptions, type SippResult, type SippRun } from '../../support/sipp';
import { countSrfDialogs, srfDialogCount } from '../../support/srf-dialogs';
import { startTestSipEngine, type EngineKind, type TestSipEngine } from '../../support/test-engine';

export const TENANT = '127.0.0.1';
export const TOKEN = 'test-token-0123456789';

/**
 * The whole feature server in this process (features, REST) on a real redis-server and
 * rtpengine of the test's own, and on the SIP engine TEST_ENGINE names (the embedded one
 * by default, or a real drachtio-server); sipp plays the phones. After each test: no SIP
 * dialog held by the application, none and no pending transaction in the engine where it
 * reports them (the embedded engine), no call key in Redis, no session in rtpengine.
 */
export interface CoreFixture {
  server(): RunningServer;
  redis(): TestRedis;
  media(): RtpengineFixture;
  sipPort(): number;
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }>;
  provision(user: string, password?: string, extra?: Record<string, unknown>): Promise<void>;
  /** REGISTER user from a port (digest-authenticated); returns that port */
  register(user: string, opts?: { port?: number; expires?: number; password?: string }): Promise<number>;
  uas(scenario: string, port: number, opts?: Partial<SippOptions>): Promise<SippRun>;
  call(scenario: string, caller: string, callee: string, opts?: Partial<SippOptions>): Promise<SippResult>;
  /** which SIP engine the server runs on */
  engine(): EngineKind;
  /** the embedded engine's /stats; drachtio-server has none (throws there) */
  engineStats(): Promise<Record<string, number>>;
  /** live SIP dialogs: the engine's own count where it reports one, else the application's (srf) */
  dialogs(): Promise<number>;
  /** the first live call (GET /v1/calls) that matches, answered by default; polls up to 8 s */
  liveCall(pred?: (c: LiveCall) => boolean): Promise<LiveCall>;
  /** the server's recent log entries with this message (info and above), oldest first */
  logs(message: string): LogEntry[];
}

/** A call as GET /v1/calls lists it (the fields tests look at). */
export interface LiveCall {
  id: string;
  state: string;
  mediaCallId: string;
  caller: { user: string; tag: string };
  callee: { user: string; tag: string };
  held?: Record<string, number>;
}


export function coreFixture(env: Record<string, string> = {}, opts: { checkAfterEach?: boolean; t1?: number } = {}): CoreFixture {
  const media = withRtpengine();
  const log = captureLogs();
  let redis: TestRedis | undefined;
  let server: RunningServer | undefined;
  let sipPort = 0;
  let httpPort = 0;
  let engine: TestSipEngine | undefined;
  const sipps: SippRun[] = [];

  before(async function () {
    this.timeout(30000);
    await media.start();
    redis = await startTestRedis();
    sipPort = await freePort('both');
    httpPort = await freePort('tcp');
    countSrfDialogs();
    engine = await startTestSipEngine({ sipPort, t1: opts.t1 });
    const config = loadConfig({
      ...engine.env, API_TOKEN: TOKEN, SIP_PORT: String(sipPort), HTTP_PORT: String(httpPort), REDIS_URL: redis.url,
      RTPENGINE_NG: `127.0.0.1:${media.process.ngPort}`, NO_ANSWER_TIMEOUT: '3', MIN_EXPIRES: '1', LOG_LEVEL: 'warn',
      // sipp 3.6.1 answers only MD5 and gives up on a SHA-256 challenge listed first
      DIGEST_ALGORITHMS: 'MD5', ...env,
    });
    server = await startServer({ config, logger: log.logger, features: features(), engineArgs: engine.engineArgs });
  });

  afterEach(async function () {
    this.timeout(15000);
    for (const s of sipps.splice(0)) await s.kill();
    if (opts.checkAfterEach === false) return;
    // nothing of any call may outlive it: dialogs (the app's, and the engine's where it
    // reports them), Redis call keys, rtpengine sessions
    const deadline = Date.now() + 5000;
    let last: string;
    for (;;) {
      const counts = await engine?.counts();
      const appDialogs = srfDialogCount();
      const callKeys = redis ? await redis.client.keys('call:*') : [];
      const sessions = await media.anchor.list();
      const liveCalls = server?.calls.size ?? 0;
      const engineIdle = !counts || (counts.dialogs === 0 && counts.activeTransactions === 0);
      if (engineIdle && appDialogs === 0 && callKeys.length === 0 && sessions.length === 0 && liveCalls === 0) break;
      last = JSON.stringify({ engine: counts, appDialogs, callKeys, sessions, liveCalls });
      if (Date.now() > deadline) throw new Error(`state left behind after the test: ${last}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const regs = redis ? await redis.client.keys('reg*') : [];
    if (regs.length > 0) await redis?.client.del(regs);
  });

  after(async function () {
    this.timeout(20000);
    await server?.stop();
    await engine?.stop();
    await redis?.stop();
    await media.stop();
  });

  const phones = phonesAt(() => `127.0.0.1:${sipPort}`, sipps);
  const fx: CoreFixture = {
    server: () => {
      if (!server) throw new Error('server not started');
      return server;
    },
    redis: () => {
      if (!redis) throw new Error('redis not started');
      return redis;
    },
    media: () => media,
    sipPort: () => sipPort,
    api: (method, path, body, token = TOKEN) => apiRequest(httpPort, method, path, body, token),
    async provision(user, password = `pw-${user}`, extra = {}) {
      const r = await fx.api('PUT', `/v1/tenants/${TENANT}/users/${user}`, { password, ...extra });
      if (r.status !== 201 && r.status !== 200) throw new Error(`provisioning ${user}: ${r.status} ${JSON.stringify(r.body)}`);
    },
    register: (user, o) => phones.register(user, o),
    async uas(scenario, port, opts = {}) {
      const run = await startSippUas({ scenario, localPort: port, ...opts });
      sipps.push(run);
      return run;
    },
    call: (scenario, caller, callee, o) => phones.call(scenario, caller, callee, o),
    async liveCall(pred = (c: LiveCall) => c.state === 'answered') {
      const deadline = Date.now() + 8000;
      while (Date.now() < deadline) {
        const body = (await fx.api('GET', '/v1/calls')).body as { calls?: LiveCall[] } | LiveCall[];
        const call = (Array.isArray(body) ? body : body.calls ?? []).find(pred);
        if (call) return call;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('no such live call');
    },
    engine: () => engine?.kind ?? 'embedded',
    async engineStats() {
      const stats = await engine?.stats();
      if (!stats) throw new Error(`the ${engine?.kind ?? 'unstarted'} engine reports no /stats`);
      return stats;
    },
    async dialogs() {
      return (await engine?.counts())?.dialogs ?? srfDialogCount();
    },
    logs: (message) => log.entries(message),
  };
  return fx;
}

/**
 * Users new to each test of a file: `users('a', 'b')` provisions `a1`, `b1` in the first
 * call, `a2`, `b2` in the next, so no test sees another's settings or registrations.
 */
export function freshUsers(fx: Pick<CoreFixture, 'provision'>): (...names: string[]) => Promise<string[]> {
  let n = 0;
  return async (...names) => {
    n++;
    const out = names.map((x) => `${x}${n}`);
    for (const u of out) await fx.provision(u);
    return out;
  };
}
