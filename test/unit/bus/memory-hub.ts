import type { BusTransport } from '../../../lib/bus';

const BROADCAST = '*';

/**
 * Instances in one process: a message is delivered on a later turn, as over Redis. An
 * instance `frozen` keeps listening (it counts as alive) but hears nothing until thawed,
 * like a process under SIGSTOP whose socket the kernel keeps filling.
 */
export class MemoryHub {
  private readonly members = new Map<string, (payload: string) => void>();
  private readonly frozen = new Map<string, string[]>();
  /** what was sent, for tests that look at the wire */
  readonly sent: Array<{ to: string; payload: string }> = [];

  transport(): BusTransport {
    let self: string | undefined;
    return {
      send: async (to, payload) => {
        this.sent.push({ to, payload });
        const targets = to === BROADCAST ? [...this.members.keys()] : this.members.has(to) ? [to] : [];
        for (const t of targets) this.deliver(t, payload);
        return targets.length;
      },
      listen: async (id, fn) => {
        self = id;
        this.members.set(id, fn);
      },
      listeners: async (id) => (this.members.has(id) ? 1 : 0),
      close: async () => {
        if (self !== undefined) this.members.delete(self);
      },
    };
  }

  /** Sends raw text to an instance as if another instance had published it. */
  inject(to: string, payload: string): void {
    this.deliver(to, payload);
  }

  freeze(id: string): void {
    this.frozen.set(id, []);
  }

  thaw(id: string): void {
    const queued = this.frozen.get(id) ?? [];
    this.frozen.delete(id);
    for (const p of queued) this.deliver(id, p);
  }

  private deliver(to: string, payload: string): void {
    const queue = this.frozen.get(to);
    if (queue) {
      queue.push(payload);
      return;
    }
    const fn = this.members.get(to);
    if (fn) setImmediate(() => fn(payload));
  }
}
