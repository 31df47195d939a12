import {
  ClientClosedError, ClientOfflineError, ConnectionTimeoutError, createClient, ReconnectStrategyError,
  SocketClosedUnexpectedlyError, type RedisClientType,
} from 'redis';
import type { Logger } from 'winston';
import { isSentinelUrl, parseSentinelUrl, redactRedisUrl } from './redis-url';
import { createSentinelClient, sentinelOf, type RedisSentinel } from './sentinel-client';

/** The node-redis client every repository takes. */
export type RedisClient = RedisClientType;

export interface RedisConnection {
  client: RedisClient;
  /** Lets pending replies arrive, then closes; idempotent. */
  close(): Promise<void>;
}

export interface RedisConnectOptions {
  /** the longest wait between reconnect attempts (default 2000 ms) */
  maxDelayMs?: number;
  /**
   * Attempts before connectRedis gives up when Redis was never reached (default 10, about
   * 10 s): a wrong URL stops start-up with a clear error instead of hanging. Once
   * connected, the client retries forever, so an outage heals without a restart.
   */
  startupRetries?: number;
  connectTimeoutMs?: number;
  /**
   * Queue commands while disconnected (default false). SIP cannot wait: a REGISTER or an
   * INVITE that finds Redis down should fail at once (500/503) and be retried by the
   * phone, not hang until the UA's transaction times out.
   */
  offlineQueue?: boolean;
  /** CLIENT SETNAME, so `CLIENT LIST` on the server shows who is who */
  name?: string;
}

/**
 * Connects to Redis: `url` is one server (redis://, rediss://) or a set of Sentinels
 * (redis+sentinel://, see redis-url.ts), and the caller gets the same RedisClient either
 * way. Every failure is logged and none is an unhandled 'error' event: one error line per
 * outage, its retries at debug, and a line when Redis is back.
 *
 * One server: while the connection is down, commands reject (see offlineQueue) and the
 * client reconnects with exponential back-off capped at maxDelayMs.
 *
 * Sentinel: the client asks the Sentinels for the master and follows them when they
 * promote a replica. A command that finds the master gone re-asks the Sentinels about once
 * a second (startupRetries times) and then runs on the new master, so a fail-over costs
 * the seconds Sentinel needs to agree (down-after-milliseconds plus the election) as
 * latency rather than errors; past that bound it rejects like an unreachable server.
 */
/**
 * Commands waiting for Redis at once; past it a command rejects at once instead of
 * queueing (a flood that outruns Redis must cost errors, not memory without bound).
 */
const COMMANDS_QUEUE_MAX = 20000;

export async function connectRedis(url: string, logger: Logger, opts: RedisConnectOptions = {}): Promise<RedisConnection> {
  return isSentinelUrl(url) ? connectSentinel(url, logger, opts) : connectServer(url, logger, opts);
}

async function connectServer(url: string, logger: Logger, opts: RedisConnectOptions): Promise<RedisConnection> {
  const status = new OutageLog(logger, redact(url));
  const startupRetries = opts.startupRetries ?? 10;

  const client: RedisClient = createClient({
    url,
    name: opts.name ?? 'feature-server',
    disableOfflineQueue: !(opts.offlineQueue ?? false),
    commandsQueueMaxLength: COMMANDS_QUEUE_MAX,
    socket: {
      connectTimeout: opts.connectTimeoutMs ?? 5000,
      reconnectStrategy: (retries, cause) => {
        if (!status.everReady && retries >= startupRetries) {
          return new Error(`Redis at ${redact(url)} unreachable after ${retries} attempts: ${cause.message}`);
        }
        return backOff(retries, opts);
      },
    },
  });

  client.on('error', (err: Error) => status.down(err.message));
  client.on('ready', () => status.up());

  try {
    await client.connect();
  } catch (err) {
    client.destroy();
    throw err;
  }
  return closable(client, status);
}

async function connectSentinel(url: string, logger: Logger, opts: RedisConnectOptions): Promise<RedisConnection> {
  const target = parseSentinelUrl(url);
  const status = new OutageLog(logger, redact(url));
  const connectTimeout = opts.connectTimeoutMs ?? 5000;
  const startupRetries = opts.startupRetries ?? 10;

  const client = createSentinelClient({
    name: target.masterName,
    sentinelRootNodes: target.sentinels,
    // Start-up and every command that finds the master gone re-ask the Sentinels this
    // often, about 1 s apart, before giving up (the same bound as startupRetries).
    maxCommandRediscovers: startupRetries,
    passthroughClientErrorEvents: true,
    nodeClientOptions: {
      username: target.username,
      password: target.password,
      name: opts.name ?? 'feature-server',
      disableOfflineQueue: !(opts.offlineQueue ?? false),
      commandsQueueMaxLength: COMMANDS_QUEUE_MAX,
      // The master's connection keeps retrying; the Sentinel layer decides when to give up
      // and where to go instead.
      socket: { connectTimeout, reconnectStrategy: (retries) => backOff(retries, opts) },
    },
    sentinelClientOptions: { password: target.sentinelPassword, socket: { connectTimeout } },
  });
  const sentinel = sentinelOf(client) as RedisSentinel;

  // 'error' carries both the master's connection failing (passthroughClientErrorEvents
  // below: "Master Client (host:port): ..."), which is the outage, and what the Sentinel
  // layer could not do (reach one Sentinel, rediscover in the background), which is not:
  // another Sentinel answers, so that is a warning.
  sentinel.on('error', (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (message.startsWith('Master Client (')) {
      if (status.down(message)) void probe();
    } else {
      status.sentinelTrouble(message);
    }
  });
  sentinel.on('topology-change', (e: { type: string; node?: { host: string; port: number } }) => {
    if (e.type !== 'MASTER_CHANGE') return;
    const from = status.master;
    status.master = nodeName(e.node);
    if (status.everReady) status.log.warn('redis master changed (Sentinel fail-over)', { from, to: status.master });
  });
  // 'ready' also follows a fail-over the probe below has already logged
  sentinel.on('ready', () => {
    if (status.isDown || !status.everReady) status.up();
  });

  // When the old master comes back before the Sentinels fail over, node-redis reconnects
  // to it silently; without traffic nothing would say Redis is back. While down, a PING
  // every maxDelayMs finds out (and, through the Sentinel layer, follows a fail-over).
  let closed = false;
  let wake: (() => void) | undefined;
  const probe = async (): Promise<void> => {
    while (status.isDown && !closed) {
      try {
        await client.ping();
        status.up();
      } catch {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, opts.maxDelayMs ?? 2000).unref();
        });
      }
    }
  };

  try {
    await client.connect();
  } catch (err) {
    // node-redis has already torn the Sentinel client down.
    status.down((err as Error).message);
    throw new Error(`Redis master '${target.masterName}' not found through the Sentinels at ${redact(url)}: ${(err as Error).message}`, { cause: err });
  }
  return closable(client, status, () => {
    closed = true;
    wake?.();
  });
}

/** Exponential back-off, capped at maxDelayMs. */
function backOff(retries: number, opts: RedisConnectOptions): number {
  // Jitter so several instances do not reconnect in lock-step after a fail-over.
  return Math.min(50 * 2 ** retries, opts.maxDelayMs ?? 2000) + Math.floor(Math.random() * 100);
}

function closable(client: RedisClient, status: OutageLog, onClose?: () => void): RedisConnection {
  let closing: Promise<void> | undefined;
  return {
    client,
    close() {
      closing ??= (async () => {
        onClose?.();
        if (!client.isOpen) return;
        try {
          await client.close();
        } catch {
          client.destroy();
        }
        status.log.info('redis connection closed');
      })();
      return closing;
    },
  };
}

/**
 * The connection's log: one line at error level per outage, the retries of the same
 * outage at debug, so an hour-long outage does not bury everything else in the log.
 */
class OutageLog {
  readonly log: Logger;
  everReady = false;
  /** host:port of the master, with Sentinel */
  master: string | undefined;
  private downSince: number | undefined;
  private errorsWhileDown = 0;
  private sentinelWarned = false;

  constructor(logger: Logger, private readonly url: string) {
    this.log = logger.child({ component: 'redis' });
  }

  get isDown(): boolean {
    return this.downSince !== undefined;
  }

  /** Returns whether this error started an outage. */
  down(error: string, fields: Record<string, unknown> = {}): boolean {
    this.errorsWhileDown++;
    if (this.downSince === undefined) {
      this.downSince = Date.now();
      this.log.error('redis connection error', { url: this.url, error, ...fields });
      return true;
    }
    this.log.debug('redis still unreachable', { error, attempts: this.errorsWhileDown });
    return false;
  }

  up(): void {
    if (this.downSince !== undefined && this.everReady) {
      this.log.warn('redis reconnected', { downMs: Date.now() - this.downSince, attempts: this.errorsWhileDown, master: this.master });
    } else {
      this.log.info('redis connected', { url: this.url, master: this.master });
    }
    this.everReady = true;
    this.downSince = undefined;
    this.errorsWhileDown = 0;
    this.sentinelWarned = false;
  }

  /** A Sentinel that did not answer: once at warn until Redis is next (re)connected. */
  sentinelTrouble(error: string): void {
    if (this.sentinelWarned) {
      this.log.debug('redis sentinel error', { error });
    } else {
      this.sentinelWarned = true;
      this.log.warn('redis sentinel error', { url: this.url, error });
    }
  }
}

function nodeName(node: { host: string; port: number } | undefined): string | undefined {
  return node && `${node.host}:${node.port}`;
}

/**
 * Whether an error means "the store is unreachable" rather than "the request was bad",
 * so the API can answer 503 and the registrar 503/500 instead of blaming the client.
 */
export function isStoreUnavailable(err: unknown): boolean {
  return err instanceof ClientOfflineError || err instanceof ClientClosedError || err instanceof ConnectionTimeoutError
    || err instanceof SocketClosedUnexpectedlyError || err instanceof ReconnectStrategyError
    // the Sentinel layer, after its rediscoveries: no Sentinel answered, or none named a master
    || (err instanceof Error && SENTINEL_ERRORS.has(err.message))
    // commands in flight when the socket dies fail with the socket's own error
    || SOCKET_ERRORS.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

const SOCKET_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const SENTINEL_ERRORS = new Set(['None of the sentinels are available', 'no valid master node']);

/** The URL without its password, for logs. */
function redact(url: string): string {
  if (isSentinelUrl(url)) return redactRedisUrl(url);
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
}
