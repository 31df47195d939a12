import type { Logger } from 'winston';
import { SSE_HEARTBEAT, sseFrame, type LiveEvent } from './call-change';
import { errors } from './errors';
import type { ApiRouter } from './router';
import { tenantFrom, type ApiScope } from './scope';

/** Where a client's bytes go: the HTTP response (a fake in unit tests). */
export interface EventSink {
  write(chunk: string): boolean;
  /** bytes written but not yet taken by the socket: how far behind the client is */
  readonly writableLength: number;
  end(): void;
  /** closes at once, whatever is still buffered (a client that does not read) */
  destroy(): void;
}

export interface EventStreamOptions {
  logger: Logger;
  /** clients at once; one more is answered 503 (default 100) */
  maxClients?: number;
  /** bytes a client may lag behind; a client further behind is dropped (default 256 KiB) */
  maxLagBytes?: number;
  /** a comment line this often keeps idle streams open (default 15 s) */
  heartbeatMs?: number;
}

interface Client {
  sink: EventSink;
  scope: ApiScope;
  /** ?tenant=: only this tenant's events (lower-cased) */
  tenant?: string;
}

/**
 * GET /v1/events (issue 20): server-sent events (text/event-stream, WHATWG HTML 9.2) of
 * what a console shows live: call changes of every instance (lib/bus/call-events.ts) and
 * the bus events features relay (park slots). A tenant token hears its own tenant only.
 *
 * Bounded: at most maxClients streams; a client that does not read (its socket buffer
 * past maxLagBytes) is dropped rather than buffered for, and reconnects when it can
 * (the `retry` field). Nothing is replayed: a client fetches the lists once connected.
 */
export class EventStream {
  private readonly clients = new Set<Client>();
  private readonly maxClients: number;
  private readonly maxLagBytes: number;
  private readonly timer: NodeJS.Timeout;
  private nextId = 1;
  private dropped = 0;

  constructor(private readonly opts: EventStreamOptions) {
    this.maxClients = opts.maxClients ?? 100;
    this.maxLagBytes = opts.maxLagBytes ?? 256 * 1024;
    this.timer = setInterval(() => this.broadcast(() => SSE_HEARTBEAT), opts.heartbeatMs ?? 15_000);
    this.timer.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Streams dropped for lagging since start. */
  get droppedClients(): number {
    return this.dropped;
  }

  /** Sends an event to every client allowed to hear its tenant. */
  publish(e: LiveEvent): void {
    const tenant = e.tenant.toLowerCase();
    const frame = sseFrame(e, this.nextId++);
    this.broadcast((c) => (c.scope.allows(tenant) && (c.tenant === undefined || c.tenant === tenant) ? frame : undefined));
  }

  /**
   * Adds a client; returns its removal (call it when the connection closes). Throws 503
   * E_UNAVAILABLE when the stream is full.
   */
  attach(sink: EventSink, scope: ApiScope, tenant?: string): () => void {
    this.checkRoom();
    const client: Client = { sink, scope, tenant: tenant?.toLowerCase() };
    this.clients.add(client);
    // retry: how long a browser waits before reconnecting (WHATWG HTML 9.2.6)
    sink.write(': connected\nretry: 3000\n\n');
    return () => this.clients.delete(client);
  }

  /** GET /v1/events on the API. */
  route(router: ApiRouter): void {
    router.get<{ Querystring: { tenant?: string } }>('/events', {
      tenant: tenantFrom.optionalQuery('tenant'),
      schema: {
        summary: 'Live changes (text/event-stream): `call` events (created, answered, held, resumed, party, ended) of every instance, and relayed feature events such as `park.slot-changed`',
        tags: ['events'],
        querystring: { type: 'object', additionalProperties: false, properties: { tenant: { type: 'string', format: 'hostname' } } },
      },
    }, async (req, reply) => {
      this.checkRoom();
      const res = reply.raw;
      // the response is ours from here: fastify neither serializes nor ends it
      reply.hijack();
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
      req.raw.socket.setNoDelay(true);
      res.on('close', this.attach(res, req.apiScope, req.query.tenant));
      return reply;
    });
  }

  private checkRoom(): void {
    if (this.clients.size >= this.maxClients) throw errors.E_UNAVAILABLE(`the event stream serves ${this.maxClients} clients at most`);
  }

  /** Ends every stream (before the HTTP server closes: an open stream would hold it). */
  close(): void {
    clearInterval(this.timer);
    for (const c of this.clients) c.sink.end();
    this.clients.clear();
  }

  private broadcast(frameFor: (c: Client) => string | undefined): void {
    for (const c of this.clients) {
      const frame = frameFor(c);
      if (frame === undefined) continue;
      if (c.sink.writableLength > this.maxLagBytes) {
        this.clients.delete(c);
        this.dropped++;
        this.opts.logger.warn('event stream client dropped: not reading', { lagBytes: c.sink.writableLength, tenant: c.scope.tenant });
        c.sink.destroy();
        continue;
      }
      c.sink.write(frame);
    }
  }
}
