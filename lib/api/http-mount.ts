import type { FastifyInstance } from 'fastify';
import { PROTECTED_PREFIX } from './auth';

/**
 * A request as a mounted handler sees it: the request-target exactly as received (what
 * HTTP Digest signs, RFC 7616 3.4.6), lower-cased header names, and the raw body.
 */
export interface HttpRequest {
  method: string;
  /** the request-target as received: path and query, still percent-encoded */
  url: string;
  headers: Readonly<Record<string, string | undefined>>;
  /** empty when the request had none; never longer than the mount's bodyLimit */
  body: Buffer;
  /** the peer's IP address (the TCP connection's: no proxy header is trusted) */
  remoteAddress: string;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export type HttpHandler = (req: HttpRequest) => Promise<HttpResponse>;

export interface HttpMountOptions {
  /** largest body accepted; a longer one is answered 413 `{code, message}` before the handler runs */
  bodyLimit: number;
}

/**
 * How a feature serves its own HTTP protocol beside the REST API (Feature.http): a path
 * prefix outside /v1, with its own authentication and media types. The handler gets
 * every method on the prefix and below it, with the body unparsed; what it throws is
 * answered like any API error (`{code, message}`).
 */
export interface HttpMount {
  mount(prefix: string, handler: HttpHandler, opts: HttpMountOptions): void;
}

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/** A prefix is `/segment[/segment...]` of URL-safe characters, and never the bearer-protected /v1. */
function checkPrefix(prefix: string): void {
  const ok = prefix.length > 1 && prefix.length <= 64 && prefix.startsWith('/') && !prefix.endsWith('/')
    && [...prefix].every((c) => c === '/' || c === '-' || c === '_' || c === '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
  if (!ok) throw new TypeError(`bad HTTP mount prefix ${JSON.stringify(prefix)}`);
  if (prefix === PROTECTED_PREFIX || prefix.startsWith(`${PROTECTED_PREFIX}/`)) throw new TypeError(`${prefix} is under the bearer-protected ${PROTECTED_PREFIX}`);
}

/** The HttpMount of a fastify server that is not listening yet. */
export function createHttpMount(app: FastifyInstance): HttpMount {
  const taken = new Set<string>();
  return {
    mount(prefix, handler, opts) {
      checkPrefix(prefix);
      if (taken.has(prefix)) throw new TypeError(`HTTP prefix ${prefix} is mounted twice`);
      taken.add(prefix);
      void app.register(async (scope) => {
        // the handler reads its own media types: every body arrives as bytes, bounded
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.bodyLimit }, (_req, body, done) => done(null, body));
        for (const url of [prefix, `${prefix}/*`]) {
          scope.route({
            method: [...METHODS],
            url,
            // no OpenAPI entry: the mounted protocol documents itself
            schema: { hide: true },
            bodyLimit: opts.bodyLimit,
            handler: async (req, reply) => {
              const headers: Record<string, string | undefined> = {};
              for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
              const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
              const res = await handler({ method: req.method, url: req.url, headers, body, remoteAddress: req.socket.remoteAddress ?? '' });
              void reply.code(res.status);
              for (const [k, v] of Object.entries(res.headers ?? {})) void reply.header(k, v);
              return reply.send(res.body ?? '');
            },
          });
        }
      });
    },
  };
}
