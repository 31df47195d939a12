import {
  ClientClosedError, ClientOfflineError, ConnectionTimeoutError, createClient, ReconnectStrategyError,
  SocketClosedUnexpectedlyError, type RedisClientType,
} from 'redis';
import type { Logger } from 'winston';

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
 * Connects to Redis. Every failure is logged and none is an unhandled 'error' event;
 * while the connection is down, commands reject (see offlineQueue) and the client
 * reconnects with exponential back-off capped at maxDelayMs.
 */
export async function connectRedis(url: string, logger: Logger, opts: RedisConnectOptions = {}): Promise<RedisConnection> {
  const log = logger.child({ component: 'redis' });
  const maxDelayMs = opts.maxDelayMs ?? 2000;
  const startupRetries = opts.startupRetries ?? 10;
  let everReady = false;
  let downSince: number | undefined;
  let errorsWhileDown = 0;

  const client: RedisClient = createClient({
    url,
    name: opts.name ?? 'feature-server',
    disableOfflineQueue: !(opts.offlineQueue ?? false),
    socket: {
      connectTimeout: opts.connectTimeoutMs ?? 5000,
      reconnectStrategy: (retries, cause) => {
        if (!everReady && retries >= startupRetries) {
          return new Error(`Redis at ${redact(url)} unreachable after ${retries} attempts: ${cause.message}`);
        }
        // Jitter so several instances do not reconnect in lock-step after a fail-over.
        return Math.min(50 * 2 ** retries, maxDelayMs) + Math.floor(Math.random() * 100);
      },
    },
  });

  client.on('error', (err: Error) => {
    // One line at error level per outage; the retries of the same outage at debug, so an
    // hour-long outage does not bury everything else in the log.
    errorsWhileDown++;
    if (downSince === undefined) {
      downSince = Date.now();
      log.error('redis connection error', { url: redact(url), error: err.message });
    } else {
      log.debug('redis still unreachable', { error: err.message, attempts: errorsWhileDown });
    }
  });
  client.on('ready', () => {
    if (downSince !== undefined && everReady) {
      log.warn('redis reconnected', { downMs: Date.now() - downSince, attempts: errorsWhileDown });
    } else {
      log.info('redis connected', { url: redact(url) });
    }
    everReady = true;
    downSince = undefined;
    errorsWhileDown = 0;
  });

  try {
    await client.connect();
  } catch (err) {
    client.destroy();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    client,
    close() {
      closing ??= (async () => {
        if (!client.isOpen) return;
        try {
          await client.close();
        } catch {
          client.destroy();
        }
        log.info('redis connection closed');
      })();
      return closing;
    },
  };
}

/**
 * Whether an error means "the store is unreachable" rather than "the request was bad",
 * so the API can answer 503 and the registrar 503/500 instead of blaming the client.
 */
export function isStoreUnavailable(err: unknown): boolean {
  return err instanceof ClientOfflineError || err instanceof ClientClosedError || err instanceof ConnectionTimeoutError
    || err instanceof SocketClosedUnexpectedlyError || err instanceof ReconnectStrategyError
    // commands in flight when the socket dies fail with the socket's own error
    || SOCKET_ERRORS.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

const SOCKET_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
}
