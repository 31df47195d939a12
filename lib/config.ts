import { isIP } from 'node:net';
import path from 'node:path';
import { DEFAULT_SUBSCRIPTION_LIMITS as SUB, type SubscriptionLimits } from './sip/subscription-limits';
import { isSentinelUrl, parseSentinelUrl, redactRedisUrl } from './store/redis-url';

/**
 * The feature server's configuration: every environment variable, typed, with its
 * default, validated once at start-up. A bad value stops start-up with a message that
 * names the variable (README "Configuration" documents each one).
 */
export interface Config {
  /** SIP address and port of the embedded engine (ignored with DRACHTIO_HOST) */
  sipHost: string;
  sipPort: number;
  /** address put in Via/Contact when it differs from SIP_HOST (NAT, containers) */
  sipAdvertisedHost?: string;
  /** an external drachtio-server (or sip-engine) instead of the embedded one */
  drachtio?: { host: string; port: number; secret: string };
  httpHost: string;
  httpPort: number;
  /** the operator token; unset: generated once into DATA_DIR/api-token and reused */
  apiToken?: string;
  /**
   * the server's own folder (embedded Redis's append-only file, the generated token,
   * pidfiles of its children); used only when it runs its own Redis or has no API_TOKEN
   */
  dataDir: string;
  /** the embedded Redis's AOF fsync policy: always (nothing acknowledged lost), everysec, no */
  redisAppendfsync: 'always' | 'everysec' | 'no';
  /**
   * redis:// or rediss:// (one server), or redis+sentinel://host:port,.../<master-name>
   * (store/redis-url.ts); unset: the server starts and supervises its own redis-server
   */
  redisUrl?: string;
  /** unset: the server starts and supervises its own rtpengine (host:port of the ng port) */
  rtpengine?: { host: string; port: number };
  /** media ports of the rtpengine the server starts itself (4 per call) */
  rtpPortMin: number;
  rtpPortMax: number;
  /** UDP ports of the embedded conference mixer (one per member) */
  conferencePortMin: number;
  conferencePortMax: number;
  /** seconds a callee may ring before the caller gets 480 */
  noAnswerTimeout: number;
  /** status sent to anonymous callers of users with anonymous call rejection (RFC 5079: 433) */
  anonymousRejectStatus: number;
  /** seconds SIGTERM waits for live calls to end before hanging them up */
  drainTimeout: number;
  /** seconds without any media packet before an answered call is hung up; 0: never */
  mediaTimeout: number;
  /** what a restart of rtpengine (every media session lost) does to live calls: offer/answer again, or BYE both legs */
  mediaRestart: 'reanchor' | 'hangup';
  /** what the answered calls of a server that died (this one before a crash, or another instance) get: resumed here with their media anchored again, or BYE both legs */
  callTakeover: 'continue' | 'hangup';
  /** RFC 4028 session interval asked of both legs, seconds; 0: no session timers */
  sessionExpires: number;
  /** RFC 4028 Min-SE: the smallest interval taken (422 below it) */
  sessionMinSe: number;
  /** registration expiry bounds, seconds (RFC 3261 10.2.1.1, 10.3 step 7) */
  minExpires: number;
  maxExpires: number;
  /** seconds a digest nonce is accepted (RFC 7616 5.5); older ones get stale=true */
  nonceLifetime: number;
  /** digest challenge algorithms, most preferred first (RFC 8760 2.3) */
  digestAlgorithms: Array<'MD5' | 'SHA-256'>;
  /** failed authentications from one address within authFailureWindow seconds that ban it */
  authFailureLimit: number;
  authFailureWindow: number;
  /** seconds a banned address is refused */
  authBanTime: number;
  /** edge proxies (IP addresses) whose requests count against the phone's address in their Via, not theirs */
  authTrustedProxies: string[];
  /** most contacts one AOR may have bound (RFC 3261 10.3 local policy) */
  maxContacts: number;
  /** new requests worked on at once (INVITEs until answered); past it 503 (overload control) */
  maxPendingRequests: number;
  /** bounds on event subscriptions (RFC 6665): per subscriber, per resource, in all, Expires, NOTIFY rate, document size */
  subscriptions: SubscriptionLimits;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** this process's id in shared state (calls it owns) */
  instanceId: string;
  /** the embedded engine's per-source limit on new SIP requests per second (0 = off) and its burst */
  sipRateLimit: number;
  sipRateBurst: number;
  /** source IPs exempt from that limit (an edge proxy in front) */
  sipTrustedSources: string[];
}

export class ConfigError extends Error {}

/** `data` in the checkout (this file runs from dist/lib), wherever the server is started from */
const DEFAULT_DATA_DIR = path.resolve(__dirname, '..', '..', 'data');

type Env = Record<string, string | undefined>;

function port(env: Env, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`${name} must be a port number (1-65535), got '${v}'`);
  return n;
}

/** RFC 4028 5 wants Min-SE of 90 s at least; smaller values are for tests, and never above the interval. */
function sessionTimers(env: Env): { sessionExpires: number; sessionMinSe: number } {
  const sessionExpires = int(env, 'SESSION_EXPIRES', 1800, 0, 86400);
  const sessionMinSe = int(env, 'SESSION_MIN_SE', 90, 1, 86400);
  if (sessionExpires > 0 && sessionMinSe > sessionExpires) {
    throw new ConfigError(`SESSION_MIN_SE (${sessionMinSe}) must not exceed SESSION_EXPIRES (${sessionExpires})`);
  }
  return { sessionExpires, sessionMinSe };
}

function subscriptionLimits(env: Env): SubscriptionLimits {
  const minExpires = int(env, 'SUBSCRIBE_MIN_EXPIRES', SUB.minExpires, 1, 3600);
  const maxExpires = int(env, 'SUBSCRIBE_MAX_EXPIRES', SUB.maxExpires, 1, 86400);
  if (minExpires > maxExpires) throw new ConfigError(`SUBSCRIBE_MIN_EXPIRES (${minExpires}) must not exceed SUBSCRIBE_MAX_EXPIRES (${maxExpires})`);
  return {
    maxPerSubscriber: int(env, 'SUBSCRIPTION_MAX_PER_SUBSCRIBER', SUB.maxPerSubscriber, 1, 100000),
    maxPerResource: int(env, 'SUBSCRIPTION_MAX_PER_RESOURCE', SUB.maxPerResource, 1, 100000),
    maxTotal: int(env, 'SUBSCRIPTION_MAX_TOTAL', SUB.maxTotal, 1, 1000000),
    minExpires,
    maxExpires,
    notifyIntervalMs: int(env, 'NOTIFY_MIN_INTERVAL_MS', SUB.notifyIntervalMs, 0, 60000),
    maxDialogs: int(env, 'DIALOG_INFO_MAX_DIALOGS', SUB.maxDialogs, 1, 1000),
    unansweredNotifyMs: int(env, 'NOTIFY_UNANSWERED_MS', SUB.unansweredNotifyMs, 100, 64000),
    unresponsiveHoldMs: int(env, 'NOTIFY_TIMEOUT_HOLD_MS', SUB.unresponsiveHoldMs, 0, 3600000),
  };
}

function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got '${v}'`);
  return n;
}

function hostPort(env: Env, name: string): { host: string; port: number } | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new ConfigError(`${name} must be host:port, got '${v}'`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

function host(env: Env, name: string, dflt: string): string {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.:-]+)$/.test(v)) throw new ConfigError(`${name} must be a host name or address, got '${v}'`);
  return v;
}

function addressList(env: Env, name: string): string[] {
  const v = env[name];
  if (v === undefined || v.trim() === '') return [];
  const list = v.split(',').map((a) => a.trim()).filter((a) => a !== '');
  for (const a of list) if (isIP(a) === 0) throw new ConfigError(`${name} must be a comma-separated list of IP addresses, got '${a}'`);
  return list;
}

function digestAlgorithms(env: Env): Config['digestAlgorithms'] {
  const v = env.DIGEST_ALGORITHMS;
  if (v === undefined || v === '') return ['SHA-256', 'MD5'];
  const list = v.split(',').map((a) => a.trim().toUpperCase());
  if (list.some((a) => a !== 'MD5' && a !== 'SHA-256') || new Set(list).size !== list.length) {
    throw new ConfigError(`DIGEST_ALGORITHMS must list MD5 and/or SHA-256 once each, most preferred first, got '${v}'`);
  }
  return list as Config['digestAlgorithms'];
}

export function loadConfig(env: Env = process.env): Config {
  const apiToken = env.API_TOKEN || undefined;
  if (apiToken !== undefined && apiToken.length < 8) throw new ConfigError('API_TOKEN must be a secret of at least 8 characters (or unset: one is generated into DATA_DIR)');
  const redisAppendfsync = (env.REDIS_APPENDFSYNC || 'always') as Config['redisAppendfsync'];
  if (!['always', 'everysec', 'no'].includes(redisAppendfsync)) {
    throw new ConfigError(`REDIS_APPENDFSYNC must be always, everysec or no, got '${redisAppendfsync}'`);
  }
  const mediaRestart = (env.MEDIA_RESTART || 'reanchor') as Config['mediaRestart'];
  if (!['reanchor', 'hangup'].includes(mediaRestart)) throw new ConfigError(`MEDIA_RESTART must be reanchor or hangup, got '${mediaRestart}'`);
  const callTakeover = (env.CALL_TAKEOVER || 'continue') as Config['callTakeover'];
  if (!['continue', 'hangup'].includes(callTakeover)) throw new ConfigError(`CALL_TAKEOVER must be continue or hangup, got '${callTakeover}'`);
  const logLevel = (env.LOG_LEVEL ?? 'info') as Config['logLevel'];
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be error, warn, info or debug, got '${logLevel}'`);
  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl && isSentinelUrl(redisUrl)) {
    try {
      parseSentinelUrl(redisUrl);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  } else if (redisUrl && !/^(redis|rediss):\/\//.test(redisUrl)) {
    throw new ConfigError(`REDIS_URL must be a redis://, rediss:// or redis+sentinel:// URL, got '${redactRedisUrl(redisUrl)}'`);
  }
  let drachtio: Config['drachtio'];
  if (env.DRACHTIO_HOST) {
    if (!env.DRACHTIO_SECRET) throw new ConfigError('DRACHTIO_SECRET must be set with DRACHTIO_HOST');
    drachtio = { host: host(env, 'DRACHTIO_HOST', ''), port: port(env, 'DRACHTIO_PORT', 9022), secret: env.DRACHTIO_SECRET };
  }
  const minExpires = int(env, 'MIN_EXPIRES', 60, 1, 86400);
  const rtpPortMin = int(env, 'RTP_PORT_MIN', 30000, 1024, 65000);
  const rtpPortMax = int(env, 'RTP_PORT_MAX', 39999, rtpPortMin + 3, 65535);
  const maxExpires = int(env, 'MAX_EXPIRES', 3600, minExpires, 604800);
  const conferencePortMin = int(env, 'CONFERENCE_PORT_MIN', 40000, 1024, 65000);
  const conferencePortMax = int(env, 'CONFERENCE_PORT_MAX', 44999, conferencePortMin + 1, 65535);
  const sipRateLimit = int(env, 'SIP_RATE_LIMIT', 200, 0, 1000000);
  return {
    sipRateLimit,
    sipRateBurst: int(env, 'SIP_RATE_BURST', Math.max(1, 2 * sipRateLimit), 1, 1000000),
    sipTrustedSources: addressList(env, 'SIP_TRUSTED_SOURCES'),
    sipHost: host(env, 'SIP_HOST', '127.0.0.1'),
    sipPort: port(env, 'SIP_PORT', 5060),
    sipAdvertisedHost: env.SIP_ADVERTISED_HOST ? host(env, 'SIP_ADVERTISED_HOST', '') : undefined,
    drachtio,
    httpHost: host(env, 'HTTP_HOST', '127.0.0.1'),
    httpPort: port(env, 'HTTP_PORT', 3000),
    apiToken,
    dataDir: env.DATA_DIR ? path.resolve(env.DATA_DIR) : DEFAULT_DATA_DIR,
    redisAppendfsync,
    redisUrl,
    rtpengine: hostPort(env, 'RTPENGINE_NG'),
    rtpPortMin,
    rtpPortMax,
    conferencePortMin,
    conferencePortMax,
    noAnswerTimeout: int(env, 'NO_ANSWER_TIMEOUT', 30, 1, 600),
    anonymousRejectStatus: int(env, 'ANONYMOUS_REJECT_STATUS', 433, 400, 699),
    drainTimeout: int(env, 'DRAIN_TIMEOUT', 30, 0, 3600),
    mediaTimeout: int(env, 'MEDIA_TIMEOUT', 60, 0, 86400),
    mediaRestart,
    callTakeover,
    ...sessionTimers(env),
    minExpires,
    maxExpires,
    nonceLifetime: int(env, 'NONCE_LIFETIME', 60, 5, 3600),
    digestAlgorithms: digestAlgorithms(env),
    authFailureLimit: int(env, 'AUTH_FAILURE_LIMIT', 10, 1, 100000),
    authFailureWindow: int(env, 'AUTH_FAILURE_WINDOW', 60, 1, 86400),
    authBanTime: int(env, 'AUTH_BAN_TIME', 900, 1, 604800),
    authTrustedProxies: addressList(env, 'AUTH_TRUSTED_PROXIES'),
    maxContacts: int(env, 'MAX_CONTACTS', 10, 1, 1000),
    maxPendingRequests: int(env, 'MAX_PENDING_REQUESTS', 2000, 10, 1000000),
    subscriptions: subscriptionLimits(env),
    logLevel,
    instanceId: env.INSTANCE_ID || `fs-${process.pid}`,
  };
}
