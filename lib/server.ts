import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'winston';
import { callChangeEvent, createApi, EventStream, relayedEvent } from './api';
import { callChanged, CallOwners, forwardCallRoutes, publishCallChanges, RequestBus, redisTransport } from './bus';
import { CallManager, CallTakeover, MediaReanchor, takeoverAction, MediaWatchdog, rebindDialogs, watchedCalls } from './calls';
import type { Config } from './config';
import type { Feature, FeatureContext } from './feature';
import { createRtpengineAnchor, EmbeddedServices, RtpengineRestartWatch, startRtpengine, type RtpengineProcess } from './media';
import { createRegistrar, registrationChanged } from './registrar';
import { Admission, createPublishRouter, createRouter, createSubscribeRouter, FeatureCodeDispatcher } from './routing';
import { MemoryReducer } from './engine';
import { createMetrics, StatsHistory } from './metrics';
import { engineDenyList, launchEngine, type LaunchedEngine } from './runtime/engine-launcher';
import { openLocalState } from './runtime/local-state';
import { isSentinelUrl, parseSentinelUrl } from './store/redis-url';
import { banRoutes } from './api/routes/bans';
import { AuthFailures, BanList, SipAuthenticator } from './security';
import { DigestAuth } from './sip/digest-auth';
import { createSrf, type SrfApp } from './sip/srf-app';
import { ApiTokenRepository, CallRepository, connectRedis, keys, NonceCountStore, type CallRecord, redisDataCheck, redisHealthCheck, RegistrationRepository, startRedis, UserRepository, type RedisClient, type RedisProcess } from './store';

export interface RunningServer {
  sipPort: number;
  httpPort: number;
  /** the file holding the operator token when the server generated it (no API_TOKEN) */
  apiTokenFile?: string;
  calls: CallManager;
  /** SIGTERM behaviour: stop taking calls, let live ones finish (bounded), then close everything */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  config: Config;
  logger: Logger;
  features: Feature[];
  /** sip-engine arguments for the embedded engine (tests shorten timers) */
  engineArgs?: string[];
}

/**
 * The composition root: the only place that knows every piece. Starts (or connects to)
 * Redis, rtpengine and the SIP engine, wires the registrar, the router, the call model,
 * the features and the REST API.
 */
/** how long one step of a stop may take before the stop goes on without it */
const CLOSE_STEP_MS = 10_000;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { config, logger } = opts;
  const closers: Array<() => Promise<void>> = [];
  // each step of a stop is bounded: one that hangs (a peer that never answers) must not keep
  // the process, its children and its ports alive after a SIGTERM (issue #15)
  const close = async (): Promise<void> => {
    const steps = closers.splice(0);
    for (let i = steps.length - 1; i >= 0; i--) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_STEP_MS)));
      const done = steps[i]().then(() => 'done' as const, (err: Error) => {
        logger.warn('shutdown step failed', { step: i, error: err.message });
        return 'done' as const;
      });
      if ((await Promise.race([done, late])) === 'late') logger.error('shutdown step did not finish; going on without it', { step: i, waitedMs: CLOSE_STEP_MS });
      clearTimeout(timer);
    }
  };
  try {
    // DATA_DIR (issue #15): the embedded Redis's AOF, the generated token, children's pidfiles
    const local = await openLocalState(config);
    closers.push(() => local.release());
    const runDir = local.data?.runDir;
    // issue #13: RSS back near its baseline after a flood or fuzzing, not whenever V8 gets to it
    const reducer = new MemoryReducer({ onCollect: (e) => logger.debug('full collection after memory growth',
      { rssBeforeMb: Math.round(e.beforeBytes / 1048576), rssAfterMb: Math.round(e.afterBytes / 1048576) }) }).start();
    closers.push(async () => reducer.stop());
    let redisUrl = config.redisUrl;
    if (!redisUrl) {
      const redis: RedisProcess = await startRedis({ logger, dataDir: local.data?.redisDir, appendfsync: config.redisAppendfsync, runDir });
      closers.push(() => redis.stop());
      redisUrl = redis.url;
    }
    const conn = await connectRedis(redisUrl, logger);
    closers.push(() => conn.close());
    // issue #14: a restarted rtpengine lost every call's media; MEDIA_RESTART says what the calls get
    let mediaRestarted: () => void = () => undefined;
    let ng = config.rtpengine;
    if (!ng) {
      const rtp: RtpengineProcess = await startRtpengine({ logger, address: config.sipHost, portMin: config.rtpPortMin, portMax: config.rtpPortMax, runDir,
        onRestart: () => mediaRestarted() });
      closers.push(() => rtp.stop());
      ng = { host: config.sipHost, port: rtp.ngPort };
    }
    const media = createRtpengineAnchor({ host: ng.host, port: ng.port, logger });
    closers.push(() => media.close());
    let endpoint = config.drachtio;
    let engine: LaunchedEngine | undefined;
    if (!endpoint) {
      // the engine must never carry SIP to the services beside it (issue #13)
      const denyDestinations = engineDenyList({ redisUrl, sentinels: isSentinelUrl(redisUrl) ? parseSentinelUrl(redisUrl).sentinels : undefined,
        rtpengineNg: ng, http: { host: config.httpHost, port: config.httpPort } });
      // and, like a drachtio-server, nothing to its own SIP address: the platform reaches what
      // runs in this process without SIP, so a request there is a loop (or a bug) on either engine
      denyDestinations.push({ host: config.sipHost, port: config.sipPort });
      engine = await launchEngine({ sipHost: config.sipHost, sipPort: config.sipPort, advertisedHost: config.sipAdvertisedHost,
        logger, logLevel: config.logLevel === 'debug' ? 'debug' : 'warn', extraArgs: opts.engineArgs,
        rateLimit: config.sipRateLimit, rateBurst: config.sipRateBurst, trustedSources: config.sipTrustedSources, denyDestinations, runDir });
      closers.push(() => engine?.stop() ?? Promise.resolve());
      endpoint = engine.endpoint;
    }

    const users = new UserRepository(conn.client);
    const registrations = new RegistrationRepository(conn.client);
    const callStore = new CallRepository(conn.client);
    const secret = await sharedNonceSecret(conn.client);
    const digest = new DigestAuth({ secret, nonceLifetimeMs: config.nonceLifetime * 1000, algorithms: config.digestAlgorithms,
      counter: new NonceCountStore(conn.client) });
    // bans are told to every instance over the bus, so it starts before SIP is served
    const bus = await RequestBus.start(redisTransport(conn.client, logger), config.instanceId, logger);
    closers.push(() => bus.close());
    const bans = new BanList(conn.client, { banMs: config.authBanTime * 1000, logger });
    await bans.start(bus);
    closers.push(async () => bans.stop());
    const failures = new AuthFailures(conn.client, bans, { limit: config.authFailureLimit, windowMs: config.authFailureWindow * 1000, logger });
    const auth = new SipAuthenticator({ digest, users, bans, failures, logger, trustedProxies: new Set(config.authTrustedProxies) });
    const internalToken = createHmac('sha256', secret).update('internal-services').digest('base64url');
    const srf = createSrf();
    const calls = new CallManager({ srf, media, store: callStore, logger, instanceId: config.instanceId,
      sessionTimers: config.sessionExpires > 0 ? { expires: config.sessionExpires, minSe: config.sessionMinSe } : undefined });
    const metrics = createMetrics(calls);
    const reanchor = new MediaReanchor({ calls: () => calls.list(), hangup: (id, reason) => void calls.hangup(id, reason), media,
      policy: config.mediaRestart, logger: logger.child({ component: 'media-reanchor' }) });
    mediaRestarted = () => void reanchor.restarted().catch((err: Error) => logger.error('media restart handling failed', { error: err.message }));
    if (config.rtpengine) {
      // one we do not supervise: its restarts are seen by its start time
      const watch = new RtpengineRestartWatch({ uptime: () => media.uptime(), onRestart: () => mediaRestarted(), logger });
      watch.start();
      closers.push(() => watch.stop());
    }
    if (config.mediaTimeout > 0) {
      // dead calls end: no media for MEDIA_TIMEOUT seconds hangs up both legs
      const watchdog = new MediaWatchdog({ calls: () => watchedCalls(calls.list()), packets: (id) => media.mediaPackets(id),
        hangup: (id, reason) => void calls.hangup(id, reason), timeoutMs: config.mediaTimeout * 1000,
        logger: logger.child({ component: 'media-watchdog' }) });
      watchdog.start();
      closers.push(() => watchdog.stop());
    }
    // an operation on a call of another instance is run by that instance (lib/bus)
    const owners = new CallOwners({ bus, logger, local: (id) => calls.get(id) !== undefined, hangupLocal: (id) => calls.hangup(id),
      record: (id) => callStore.get(id), forget: (id) => callStore.remove(id) });
    const dispatcher = new FeatureCodeDispatcher();
    let draining = false;
    const route = createRouter({ users, registrations, auth, calls, features: dispatcher, logger,
      noAnswerMs: config.noAnswerTimeout * 1000, anonymousRejectStatus: config.anonymousRejectStatus, internalToken });
    const admission = new Admission(config.maxPendingRequests, logger);
    const routeInvite = admission.guard('INVITE routing', route);
    srf.invite((req, res) => {
      if (draining) {
        res.send(503, { headers: { 'Retry-After': '30' } });
        return;
      }
      routeInvite(req, res);
    });
    const register = createRegistrar({ registrations, auth, logger, minExpires: config.minExpires, maxExpires: config.maxExpires,
      maxContacts: config.maxContacts,
      changed: (tenant, user) => void bus.publish(registrationChanged, { tenant, user })
        .catch((err: Error) => logger.warn('registration change not published', { tenant, user, error: err.message })) });
    srf.register(admission.guard('REGISTER', register));
    srf.options((_req, res) => res.send(200));
    const subscribe = createSubscribeRouter({ users, auth, features: dispatcher, logger });
    srf.subscribe(admission.guard('SUBSCRIBE', subscribe));
    // PUBLISH (RFC 3903): served once some feature composes an event package's state
    srf.publish(admission.guard('PUBLISH', createPublishRouter({ users, auth, features: dispatcher, logger })));
    let engineUp = false;
    let connects = 0;
    srf.on('connect', () => {
      engineUp = true;
      // a reconnect is a new engine (issue #14): the dialogs of live calls are continued on it
      if (connects++ === 0) return;
      void rebindDialogs({ srf, calls: () => calls.list(), logger, hangup: (id, reason) => void calls.hangup(id, reason),
        adopt: (call, side, d) => calls.adopt(call, side, d, side === 'caller' ? call.caller : call.callee) })
        .catch((err: Error) => logger.error('continuing dialogs after an engine restart failed', { error: err.message }));
    });
    srf.on('close', () => (engineUp = false));
    await connectSrf(srf, endpoint, logger);
    closers.push(async () => srf.disconnect());
    // issue #14: the answered calls of a server that died (this one before a crash, or
    // another instance) are claimed before the API could judge them gone, then continued here
    const takeover = new CallTakeover({ srf, media, store: callStore, instanceId: config.instanceId, alive: (i) => bus.alive(i),
      local: (id) => calls.get(id) !== undefined, restore: (r, d) => calls.restoreAnswered(r, d), policy: config.callTakeover,
      logger: logger.child({ component: 'call-takeover' }) });
    const tookOver = await takeover.start();
    closers.push(() => takeover.stop());
    if (tookOver.claimed > 0) logger.warn('call take-over: live calls of an instance that is gone claimed', { calls: tookOver.claimed });

    // with DRACHTIO_HOST, SIP_HOST and SIP_PORT name that server's SIP address; other
    // instances reach this one's internal services there (never this instance itself)
    const selfHost = config.sipAdvertisedHost ?? config.sipHost;
    const ctx: FeatureContext = { logger, redis: conn.client, media, calls, srf, config, internalToken, bus, metrics,
      embedded: new EmbeddedServices(),
      auth: { digest, guard: { isBanned: (a) => bans.isBanned(a), record: (a) => failures.record(a) } },
      instanceUri: (user) => `sip:${user}@${selfHost.includes(':') ? `[${selfHost}]` : selfHost}:${config.sipPort}` };
    for (const f of opts.features) {
      dispatcher.register(f);
      await f.start({ ...ctx, logger: logger.child({ feature: f.name }) });
      closers.push(async () => {
        await f.stop?.();
      });
    }
    // a feature rebuilds the media of the calls it moved to a media server after an rtpengine restart
    for (const f of opts.features) {
      if (!f.onMediaRestart) continue;
      const forget = reanchor.handle((call) => f.onMediaRestart?.(call) ?? Promise.resolve(false));
      closers.push(async () => forget());
    }

    // issue 20: the console's plots, one sample of the metrics a minute over the last hour
    const history = new StatsHistory(metrics);
    await history.begin();
    closers.push(async () => history.stop());
    const health = redisHealthCheck(conn.client);
    const redisData = await redisDataCheck(conn.client);
    const api = await createApi({
      logger, token: local.apiToken, tenantTokens: new ApiTokenRepository(conn.client), users, registrations, metrics,
      stats: { instanceId: config.instanceId, intervalMs: history.interval, history: () => history.history() },
      // built beside dist/lib by npm run build
      consoleDir: path.join(__dirname, '..', 'console'),
      userDeleted: async (tenant, user) => {
        // each feature drops its own per-user state; one failing does not keep the others'
        const results = await Promise.allSettled(opts.features.map(async (f) => f.forgetUser?.(tenant, user)));
        results.forEach((r, i) => {
          if (r.status === 'rejected') logger.error('a deleted user\'s feature state was not removed', { feature: opts.features[i].name, tenant, user, error: String(r.reason) });
        });
      },
      health: async () => ({
        // a draining server takes no new calls: a load balancer must stop sending them
        ...(draining ? { draining: { ok: false, detail: 'draining: finishing live calls, taking no new ones' } } : {}),
        redis: await health(),
        redisData: await redisData(),
        rtpengine: (await media.ping()) ? { ok: true } : { ok: false, detail: 'no answer to ng ping' },
        sip: engineUp ? { ok: true } : { ok: false, detail: 'not connected to the SIP engine' },
      }),
      calls: {
        list: async () => {
          // calls of an instance that is gone (crashed) went with it: dropped from the list and the store
          const alive = new Map<string, Promise<boolean>>();
          const out: CallRecord[] = [];
          for (const r of await callStore.list()) {
            if (!alive.has(r.instanceId)) alive.set(r.instanceId, bus.alive(r.instanceId).catch(() => true));
            if (await alive.get(r.instanceId)) out.push(r);
            // an answered call with its dialogs is the take-over's (call-takeover.ts): not listed, not deleted
            else if (takeoverAction(r, config.callTakeover) === 'leave') void callStore.remove(r.id).catch(() => undefined);
          }
          return out;
        },
        get: async (id) => {
          const r = await callStore.get(id);
          if (r && !(await bus.alive(r.instanceId).catch(() => true))) {
            if (takeoverAction(r, config.callTakeover) === 'leave') void callStore.remove(r.id).catch(() => undefined);
            return null;
          }
          return r;
        },
        hangup: (id) => owners.hangup(id),
      },
    });
    // issue 20: GET /v1/events, the call changes of every instance and what features relay
    const events = new EventStream({ logger: logger.child({ component: 'events' }) });
    const relay = (topic: string) => (b: unknown): void => {
      const e = relayedEvent(topic, b);
      if (e) events.publish(e);
    };
    const unwatch = [publishCallChanges(calls, bus, logger), bus.on(callChanged, (c) => events.publish(callChangeEvent(c))),
      bus.on(registrationChanged, relay(registrationChanged.name)),
      ...opts.features.flatMap((f) => f.liveTopics ?? []).map((t) => bus.on(t, relay(t)))];
    closers.push(async () => unwatch.forEach((u) => u()));
    events.route(api.router);
    forwardCallRoutes(api.app, owners);
    banRoutes(api.router, bans);
    for (const f of opts.features) f.routes?.(api.router);
    for (const f of opts.features) f.http?.(api.http);
    await api.app.listen({ host: config.httpHost, port: config.httpPort });
    closers.push(() => api.app.close());
    // open streams would hold the HTTP server's close: they end first
    closers.push(async () => events.close());
    const httpPort = (api.app.server.address() as { port: number }).port;
    logger.info('feature server ready', { sip: `${config.sipHost}:${config.sipPort}`, http: `${config.httpHost}:${httpPort}` });

    return {
      sipPort: config.sipPort,
      httpPort,
      apiTokenFile: local.apiTokenFile,
      calls,
      async drain() {
        draining = true;
        logger.info('draining', { liveCalls: calls.size, timeoutS: config.drainTimeout });
        const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.drainTimeout * 1000).unref());
        if ((await Promise.race([calls.idle().then(() => 'idle' as const), timer])) === 'timeout') {
          for (const c of calls.list()) calls.hangup(c.id, 'drain');
          await Promise.race([calls.idle(), new Promise((r) => setTimeout(r, 2000))]);
        }
        await close();
      },
      stop: close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function connectSrf(srf: SrfApp, endpoint: { host: string; port: number; secret: string }, logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no SIP engine at ${endpoint.host}:${endpoint.port}`)), 10000);
    srf.on('connect', (err: Error) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
    srf.on('error', (err: Error) => logger.warn('SIP engine connection', { error: err.message }));
    void srf.connect({ host: endpoint.host, port: endpoint.port, secret: endpoint.secret });
  });
}

/** One nonce secret for every instance sharing this Redis, so any of them verifies any nonce. */
async function sharedNonceSecret(client: RedisClient): Promise<Buffer> {
  await client.set(keys.nonceSecret(), randomBytes(32).toString('hex'), { NX: true });
  return Buffer.from((await client.get(keys.nonceSecret())) ?? '', 'hex');
}
