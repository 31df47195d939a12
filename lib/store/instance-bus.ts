import { randomUUID } from 'node:crypto';
import type { Logger } from 'winston';
import type { RedisClient } from './connection';
import { channels } from './keys';

/** A request to one instance, or an event to all, as it travels on Redis pub/sub. */
interface Envelope {
  kind: 'request' | 'reply' | 'event';
  id: string;
  from: string;
  topic: string;
  body?: unknown;
  error?: { code?: string; message: string };
}

export type BusHandler = (body: unknown) => Promise<unknown> | unknown;

/** The far instance answered with an error, or did not answer in time. */
export class BusError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * Instances talking to each other through Redis pub/sub (DESIGN: several feature-server
 * instances serve one platform). A call's dialogs live in the process that created them,
 * so an operation on a call another instance owns (a REST retrieve, a REST pickup) is
 * asked of that instance: `request(instance, topic, body)` resolves with its handler's
 * answer or rejects (BusError) after a bounded wait. `publish`/`on` carry events to every
 * instance (BLF lamps of park slots).
 */
export class InstanceBus {
  private readonly handlers = new Map<string, BusHandler>();
  private readonly listeners = new Map<string, Array<(body: unknown) => void>>();
  private readonly pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();

  private constructor(private readonly pub: RedisClient, private readonly sub: RedisClient, readonly instanceId: string, private readonly logger: Logger) {}

  static async start(redis: RedisClient, instanceId: string, logger: Logger): Promise<InstanceBus> {
    const sub = redis.duplicate();
    sub.on('error', (err: Error) => logger.warn('instance bus: subscriber connection', { error: err.message }));
    await sub.connect();
    const bus = new InstanceBus(redis, sub as RedisClient, instanceId, logger.child({ component: 'bus' }));
    await sub.subscribe([channels.instance(instanceId), channels.broadcast()], (raw) => void bus.receive(raw));
    return bus;
  }

  /** Serves `topic` for requests addressed to this instance. */
  handle(topic: string, fn: BusHandler): void {
    this.handlers.set(topic, fn);
  }

  /** Hears `topic` events from every instance, this one included. */
  on(topic: string, fn: (body: unknown) => void): () => void {
    const list = this.listeners.get(topic) ?? [];
    list.push(fn);
    this.listeners.set(topic, list);
    return () => {
      const i = list.indexOf(fn);
      if (i !== -1) list.splice(i, 1);
    };
  }

  /**
   * Whether an instance is running: it is subscribed to its channel as long as its process
   * lives (Redis drops a dead client's subscriptions with its connection). A crashed
   * instance's calls and parks are gone with it; callers clean up what it left in Redis.
   */
  async alive(instanceId: string): Promise<boolean> {
    if (instanceId === this.instanceId) return true;
    const counts = await this.pub.pubSubNumSub(channels.instance(instanceId));
    return Number(Object.values(counts)[0] ?? 0) > 0;
  }

  async publish(topic: string, body: unknown): Promise<void> {
    await this.send(channels.broadcast(), { kind: 'event', id: randomUUID(), from: this.instanceId, topic, body });
  }

  async request<T>(instanceId: string, topic: string, body: unknown, timeoutMs: number): Promise<T> {
    const id = randomUUID();
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BusError('E_BUS_TIMEOUT', `instance ${instanceId} did not answer '${topic}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
    const receivers = await this.send(channels.instance(instanceId), { kind: 'request', id, from: this.instanceId, topic, body });
    if (receivers === 0) {
      const p = this.pending.get(id);
      clearTimeout(p?.timer);
      this.pending.delete(id);
      throw new BusError('E_BUS_NO_INSTANCE', `instance ${instanceId} is not running`);
    }
    return answer as Promise<T>;
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new BusError('E_BUS_CLOSED', 'instance bus closed'));
    }
    this.pending.clear();
    await this.sub.quit().catch(() => undefined);
  }

  private async send(channel: string, e: Envelope): Promise<number> {
    return Number(await this.pub.publish(channel, JSON.stringify(e)));
  }

  private async receive(raw: string): Promise<void> {
    let e: Envelope;
    try {
      e = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    if (e.kind === 'event') {
      for (const fn of this.listeners.get(e.topic) ?? []) {
        try {
          fn(e.body);
        } catch (err) {
          this.logger.warn('instance bus: event listener failed', { topic: e.topic, error: (err as Error).message });
        }
      }
      return;
    }
    if (e.kind === 'reply') {
      const p = this.pending.get(e.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(e.id);
      if (e.error) p.reject(new BusError(e.error.code ?? 'E_BUS_REMOTE', e.error.message));
      else p.resolve(e.body);
      return;
    }
    const fn = this.handlers.get(e.topic);
    const reply: Envelope = { kind: 'reply', id: e.id, from: this.instanceId, topic: e.topic };
    try {
      if (!fn) throw new BusError('E_BUS_NO_HANDLER', `no handler for '${e.topic}'`);
      reply.body = await fn(e.body);
    } catch (err) {
      reply.error = { code: (err as { code?: string }).code, message: (err as Error).message };
    }
    await this.send(channels.instance(e.from), reply).catch((err: Error) => this.logger.warn('instance bus: reply lost', { error: err.message }));
  }
}
