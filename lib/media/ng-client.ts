import { encode } from 'bencode';
import { Client, type NgDestination, type NgParams, type NgResponse } from 'rtpengine-client';
import BaseClient from 'rtpengine-client/lib/BaseClient';
import type { Logger } from 'winston';
import { MediaError } from './media-error';

/** The ng commands lib/media sends, by rtpengine-client's method name. */
export type NgCommand = 'ping' | 'offer' | 'answer' | 'delete' | 'list' | 'query' | 'playMedia' | 'stopMedia' | 'blockMedia' | 'unblockMedia' | 'statistics';

export interface NgClientOptions {
  host: string;
  port: number;
  /** bound on every request; rtpengine answers a healthy request in well under 50 ms */
  timeoutMs: number;
  logger: Logger;
  /** where our own socket binds (default: `ngLocalAddress(host)`) */
  localAddress?: string;
  /** retries and late replies at debug rather than warn (a readiness probe expects them) */
  quiet?: boolean;
}

/**
 * Where the ng socket binds when not told: loopback for an rtpengine on loopback (the
 * embedded one), else every address, so the kernel picks the interface that reaches it
 * (a socket bound to 127.0.0.1 cannot send to another host: EINVAL).
 */
export function ngLocalAddress(host: string): string | undefined {
  return /^127\./.test(host) ? '127.0.0.1' : undefined;
}

/** One ng request/response over UDP, with rtpengine's refusals and silences turned into MediaErrors. */
export interface NgClient {
  request(command: NgCommand, params?: NgParams): Promise<NgResponse>;
  close(): Promise<void>;
}

/**
 * rtpengine-client joins the cookie and the bencoded request as strings, which turns any
 * binary value (a play media `blob`) into UTF-8 replacement characters and rtpengine
 * answers "Could not decode bencode dictionary". The ng framing is `<cookie> <bencode>`
 * in bytes; send exactly that. Patched once, here, at the edge where the package is wrapped.
 */
BaseClient.encodeMessage = (id, data) => Buffer.concat([Buffer.from(`${id} `), encode(data)]);

/**
 * Wraps rtpengine-client's UDP Client once, at the edge: promise in, typed error out.
 * The package's own timeout is used (not a race of ours) because it also forgets the
 * pending request; a reply that arrives after that is reported by the package as an
 * 'error' event, which must have a listener or it would crash the process.
 */
export function createNgClient(opts: NgClientOptions): NgClient {
  // ng runs over UDP: a request or reply lost under load is sent again once, each try
  // getting half the time, so the whole request keeps the caller's bound
  const client = new Client({ localAddress: opts.localAddress ?? ngLocalAddress(opts.host), timeout: Math.max(50, Math.floor(opts.timeoutMs / 2)) });
  const dest: NgDestination = { host: opts.host, port: opts.port };
  const log = opts.logger;
  const notice = opts.quiet ? 'debug' : 'warn';
  let closed = false;

  client.on('error', (err: unknown) => {
    log.log(notice, 'rtpengine ng: uncorrelated or late reply, or socket error', { err: String(err), ngPort: opts.port });
  });

  const send: Record<NgCommand, (params: NgParams) => Promise<NgResponse>> = {
    ping: () => client.ping(dest),
    offer: (p) => client.offer(dest, p),
    answer: (p) => client.answer(dest, p),
    delete: (p) => client.delete(dest, p),
    list: (p) => client.list(dest, p),
    query: (p) => client.query(dest, p),
    playMedia: (p) => client.playMedia(dest, p),
    stopMedia: (p) => client.stopMedia(dest, p),
    blockMedia: (p) => client.blockMedia(dest, p),
    unblockMedia: (p) => client.unblockMedia(dest, p),
    statistics: () => client.statistics(dest),
  };

  return {
    async request(command, params = {}) {
      if (closed) throw new MediaError('E_MEDIA_TRANSPORT', `ng client closed (${command})`, undefined, command);
      let res: NgResponse;
      try {
        try {
          res = await send[command](params);
        } catch (first) {
          if (!/timeout/i.test(first instanceof Error ? first.message : String(first)) || closed) throw first;
          // rtpengine answers a repeated offer/answer for the same call and tags the same way
          log.log(notice, 'rtpengine ng: no answer, sending again', { command, callId: params['call-id'] });
          res = await send[command](params);
        }
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        if (/timeout/i.test(text)) {
          throw new MediaError('E_MEDIA_TIMEOUT', `rtpengine ${opts.host}:${opts.port} did not answer '${command}' within ${opts.timeoutMs} ms`,
            undefined, command);
        }
        throw new MediaError('E_MEDIA_TRANSPORT', `rtpengine '${command}' failed: ${text}`, undefined, command);
      }
      if (res.result === 'error') {
        const reason = String(res['error-reason'] ?? 'unknown');
        throw new MediaError('E_MEDIA_NG_ERROR', `rtpengine refused '${command}': ${reason}`, reason, command);
      }
      if (res.warning) log.debug('rtpengine ng warning', { command, warning: res.warning, callId: params['call-id'] });
      return res;
    },

    async close() {
      if (closed) return;
      closed = true;
      client.close();
    },
  };
}
