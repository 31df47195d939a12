import { randomUUID } from 'node:crypto';
import type { Logger } from 'winston';
import { GuardError, inCharset, type Guard } from './guards';
import { BROADCAST, decode, encode, ProtocolError, type Envelope, type ReplyEnvelope, type RequestEnvelope, type WireError } from './protocol';
import type { BusTransport } from './transport';

/**
 * Why a request did not get its result:
 * - E_OWNER_GONE: no process listens as that instance (it crashed or stopped); what it
 *   owned went with it.
 * - E_OWNER_UNAVAILABLE: it listens but did not answer in time (frozen, overloaded), or
 *   said it is too busy. The operation may not have happened; it will not happen later
 *   (the owner drops requests past their deadline).
 * - E_BAD_REQUEST: the request was refused as malformed (unknown op, bad arguments), or
 *   could not be sent (over the size cap).
 * - E_REMOTE: the owner ran the operation and it failed; `remote` has its code and message.
 */
export type BusErrorCode = 'E_OWNER_GONE' | 'E_OWNER_UNAVAILABLE' | 'E_BAD_REQUEST' | 'E_REMOTE';

export class BusError extends Error {
  override readonly name = 'BusError';

  constructor(readonly code: BusErrorCode, message: string, readonly remote?: WireError) {
    super(message);
  }
}

/** One operation an instance serves for the others: its name and the shapes of what travels. */
export interface Op<A, R> {
  readonly name: string;
  readonly args: Guard<A>;
  readonly result: Guard<R>;
}

/** Declares an operation once; both the asker and the owner use the same object, so both sides check the same shapes. */
export function defineOp<A, R>(name: string, validate: { args: Guard<A>; result: Guard<R> }): Op<A, R> {
  return Object.freeze({ name, args: validate.args, result: validate.result });
}

/** An event every instance hears, and the shape of its body; both sides check the same guard. */
export interface BusEvent<T> {
  readonly name: string;
  readonly body: Guard<T>;
}

export function defineEvent<T>(name: string, body: Guard<T>): BusEvent<T> {
  return Object.freeze({ name, body });
}

export type OpHandler<A, R> = (args: A, ctx: { from: string }) => Promise<R> | R;

export interface RequestOptions {
  /** how long to wait for the owner's answer; the owner drops the request after this */
  timeoutMs: number;
}

export interface RequestBusOptions {
  /** requests this instance waits on at once; more fail at once with E_OWNER_UNAVAILABLE (default 1000) */
  maxPending?: number;
  /** requests this instance runs for others at once; more are answered E_OWNER_UNAVAILABLE (default 256) */
  maxServing?: number;
}

interface Pending {
  to: string;
  op: Op<unknown, unknown>;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

const LOG_EVERY_MS = 10_000;
/** a request with less than this left of its wait is dropped, not started */
const DEADLINE_SLACK_MS = 100;

/**
 * Typed requests between instances (DESIGN: several instances serve one platform; a
 * call's dialogs live in the process that created them, so an operation on a call
 * another instance owns is asked of that instance). An op is declared once with
 * defineOp; the owner serves it, any instance requests it:
 *
 *   const hangupOp = defineOp('call.hangup', { args: obj({ callId }), result: obj({ found: bool }) });
 *   bus.serve(hangupOp, ({ callId }) => ({ found: calls.hangup(callId) }));
 *   const { found } = await bus.request(owner, hangupOp, { callId }, { timeoutMs: 5000 });
 *
 * Every incoming message is checked (lib/bus/protocol.ts, then the op's guards); a bad
 * one gets an E_BAD_REQUEST reply when its sender can be named, and is never thrown.
 * `publish`/`on` carry events to every instance (BLF lamps, bans).
 */
export class RequestBus {
  private readonly handlers = new Map<string, { op: Op<unknown, unknown>; fn: OpHandler<unknown, unknown> }>();
  private readonly listeners = new Map<string, Array<(body: unknown) => void>>();
  private readonly pending = new Map<string, Pending>();
  private serving = 0;
  private refused = 0;
  private lastRefusalLog = 0;
  private readonly maxPending: number;
  private readonly maxServing: number;

  private constructor(private readonly transport: BusTransport, readonly instanceId: string, private readonly logger: Logger, opts: RequestBusOptions) {
    this.maxPending = opts.maxPending ?? 1000;
    this.maxServing = opts.maxServing ?? 256;
  }

  static async start(transport: BusTransport, instanceId: string, logger: Logger, opts: RequestBusOptions = {}): Promise<RequestBus> {
    const bus = new RequestBus(transport, instanceId, logger.child({ component: 'bus' }), opts);
    await transport.listen(instanceId, (raw) => bus.receive(raw));
    return bus;
  }

  /** Serves `op` for requests addressed to this instance; returns the undo. */
  serve<A, R>(op: Op<A, R>, fn: OpHandler<A, R>): () => void {
    if (this.handlers.has(op.name)) throw new TypeError(`bus op '${op.name}' is served twice`);
    const entry = { op: op as Op<unknown, unknown>, fn: fn as OpHandler<unknown, unknown> };
    this.handlers.set(op.name, entry);
    return () => {
      if (this.handlers.get(op.name) === entry) this.handlers.delete(op.name);
    };
  }

  /**
   * Asks instance `to` to run `op`: resolves with its result, checked by the op's guard,
   * or rejects with a BusError (never anything else).
   */
  request<A, R>(to: string, op: Op<A, R>, args: A, opts: RequestOptions): Promise<R> {
    return this.typedRequest(to, op as Op<unknown, unknown>, args, opts.timeoutMs) as Promise<R>;
  }

  /**
   * Hears an event from every instance, this one included. A typed event's body is checked
   * by its guard first: a malformed one is logged and dropped, never handed on. A topic by
   * name alone gets the body as it came.
   */
  on<T>(event: BusEvent<T>, fn: (body: T) => void): () => void;
  on(topic: string, fn: (body: unknown) => void): () => void;
  on(event: BusEvent<unknown> | string, fn: (body: unknown) => void): () => void {
    const topic = typeof event === 'string' ? event : event.name;
    const deliver = typeof event === 'string' ? fn : (body: unknown): void => {
      let checked: unknown;
      try {
        checked = event.body(body, 'event');
      } catch (err) {
        this.logger.warn('instance bus: malformed event dropped', { topic, error: (err as Error).message });
        return;
      }
      fn(checked);
    };
    const list = this.listeners.get(topic) ?? [];
    list.push(deliver);
    this.listeners.set(topic, list);
    return () => {
      const i = list.indexOf(deliver);
      if (i !== -1) list.splice(i, 1);
    };
  }

  /** Sends an event to every instance; a typed event's body is checked before it leaves (BusError E_BAD_REQUEST). */
  publish<T>(event: BusEvent<T>, body: T): Promise<void>;
  publish(topic: string, body: unknown): Promise<void>;
  async publish(event: BusEvent<unknown> | string, body: unknown): Promise<void> {
    const topic = typeof event === 'string' ? event : event.name;
    if (typeof event !== 'string') {
      try {
        event.body(body, 'event');
      } catch (err) {
        throw new BusError('E_BAD_REQUEST', (err as Error).message);
      }
    }
    await this.transport.send(BROADCAST, encode({ kind: 'event', id: randomUUID(), op: topic, args: body ?? null, from: this.instanceId, to: BROADCAST }));
  }

  /**
   * Whether an instance is running (listening on the bus). A crashed instance's calls and
   * parks are gone with it; callers clean up what it left in Redis.
   */
  async alive(instance: string): Promise<boolean> {
    if (instance === this.instanceId) return true;
    return (await this.transport.listeners(instance)) > 0;
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new BusError('E_OWNER_UNAVAILABLE', 'instance bus closed'));
    }
    this.pending.clear();
    await this.transport.close();
  }

  private async typedRequest(to: string, op: Op<unknown, unknown>, args: unknown, timeoutMs: number): Promise<unknown> {
    if (this.pending.size >= this.maxPending) throw new BusError('E_OWNER_UNAVAILABLE', `${this.pending.size} bus requests already in flight`);
    const id = randomUUID();
    let payload: string;
    try {
      op.args(args, 'args');
      payload = encode({ kind: 'request', id, op: op.name, args: args ?? null, from: this.instanceId, to, deadline: Date.now() + timeoutMs });
    } catch (err) {
      throw new BusError('E_BAD_REQUEST', (err as Error).message);
    }
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BusError('E_OWNER_UNAVAILABLE', `instance ${to} did not answer '${op.name}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { to, op, resolve, reject, timer });
    });
    let receivers: number;
    try {
      receivers = await this.transport.send(to, payload);
    } catch (err) {
      this.settle(id)?.reject(new BusError('E_OWNER_UNAVAILABLE', `bus send failed: ${(err as Error).message}`));
      return answer;
    }
    if (receivers === 0) this.settle(id)?.reject(new BusError('E_OWNER_GONE', `instance ${to} is not running`));
    return answer;
  }

  private settle(id: string): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(id);
    return p;
  }

  private receive(raw: string): void {
    let e: Envelope;
    try {
      e = decode(raw);
    } catch (err) {
      const pe = err as ProtocolError;
      this.noteRefusal(pe.message);
      if (pe.replyTo) this.reply(pe.replyTo.id, pe.replyTo.from, { code: 'E_BAD_REQUEST', message: pe.message });
      return;
    }
    if (e.kind === 'event') this.deliverEvent(e.op, e.args);
    else if (e.kind === 'reply') this.deliverReply(e);
    else if (e.to === this.instanceId) {
      this.serveRequest(e).catch((err: Error) => this.logger.error('instance bus: request not served', { op: e.op, error: err.message }));
    }
  }

  private deliverEvent(topic: string, body: unknown): void {
    for (const fn of [...(this.listeners.get(topic) ?? [])]) {
      try {
        fn(body);
      } catch (err) {
        this.logger.warn('instance bus: event listener failed', { topic, error: (err as Error).message });
      }
    }
  }

  private deliverReply(e: ReplyEnvelope): void {
    const p = this.pending.get(e.id);
    // a reply from another instance than the one asked is not an answer
    if (!p || p.to !== e.from || e.to !== this.instanceId) return;
    this.settle(e.id);
    if (e.error) {
      const code = e.error.code === 'E_BAD_REQUEST' || e.error.code === 'E_OWNER_UNAVAILABLE' ? e.error.code : 'E_REMOTE';
      p.reject(new BusError(code, e.error.message, e.error));
      return;
    }
    try {
      p.resolve(p.op.result(e.result, 'result'));
    } catch (err) {
      p.reject(new BusError('E_REMOTE', `instance ${e.from} answered '${p.op.name}' with a malformed result: ${(err as Error).message}`));
    }
  }

  private async serveRequest(e: RequestEnvelope): Promise<void> {
    // RequestEnvelope.deadline: the asker has given up (or is about to: its timer may fire
    // a millisecond before the wall clock reaches the deadline) and told its client so;
    // acting now would surprise it. A request started before then may still finish after.
    if (Date.now() >= e.deadline - DEADLINE_SLACK_MS) {
      this.logger.warn('instance bus: request past its deadline dropped', { op: e.op, from: e.from, lateMs: Date.now() - e.deadline });
      return;
    }
    const h = this.handlers.get(e.op);
    if (!h) {
      this.noteRefusal(`unknown op '${e.op}'`);
      this.reply(e.id, e.from, { code: 'E_BAD_REQUEST', message: `unknown op '${e.op}'` });
      return;
    }
    let args: unknown;
    try {
      args = h.op.args(e.args, 'args');
    } catch (err) {
      const message = err instanceof GuardError ? err.message : 'arguments refused';
      this.noteRefusal(message);
      this.reply(e.id, e.from, { code: 'E_BAD_REQUEST', message: `${e.op}: ${message}` });
      return;
    }
    if (this.serving >= this.maxServing) {
      this.reply(e.id, e.from, { code: 'E_OWNER_UNAVAILABLE', message: `instance ${this.instanceId} is serving ${this.serving} bus requests` });
      return;
    }
    this.serving++;
    try {
      const result = await h.fn(args, { from: e.from });
      this.reply(e.id, e.from, undefined, result ?? null);
    } catch (err) {
      this.reply(e.id, e.from, wireError(err));
    } finally {
      this.serving--;
    }
  }

  private reply(id: string, to: string, error?: WireError, result?: unknown): void {
    const base = { kind: 'reply' as const, id, from: this.instanceId, to };
    let payload: string;
    try {
      payload = encode(error ? { ...base, error } : { ...base, result });
    } catch (err) {
      payload = encode({ ...base, error: { code: 'E_REMOTE', message: (err as Error).message } });
    }
    this.transport.send(to, payload).catch((err: Error) => this.logger.warn('instance bus: reply lost', { error: err.message }));
  }

  /** Malformed traffic is counted and logged at most every few seconds (a flood must not flood the log). */
  private noteRefusal(reason: string): void {
    this.refused++;
    const now = Date.now();
    if (now - this.lastRefusalLog < LOG_EVERY_MS) return;
    this.logger.warn('instance bus: message refused', { reason, refusedSinceLastLog: this.refused });
    this.lastRefusalLog = now;
    this.refused = 0;
  }
}

const CODE_MAX = 64;

/** A handler's failure as it travels: its own code (ApiError, or any `code` that reads as one) and HTTP status. */
function wireError(err: unknown): WireError {
  const e = err as { code?: unknown; status?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' && e.code.length > 0 && e.code.length <= CODE_MAX && inCharset(e.code, 'printable') ? e.code : 'E_REMOTE';
  const message = typeof e?.message === 'string' ? e.message.slice(0, 1024) : 'failed';
  const status = typeof e?.status === 'number' && Number.isInteger(e.status) && e.status >= 100 && e.status <= 599 ? e.status : undefined;
  return status === undefined ? { code, message } : { code, message, status };
}
