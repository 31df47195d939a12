import type { ChildProcess } from 'node:child_process';

/**
 * Request/response over a child process's IPC channel, for the mixer bench: the bench
 * drives its mixer host and its load generator with this and nothing else.
 */
interface Request {
  id: number;
  op: string;
  args: unknown;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export type Handlers = Record<string, (args: never) => Promise<unknown> | unknown>;

/** In the child: answer the parent's requests; the channel closing ends the process (after `onDisconnect`). */
export function serve(handlers: Handlers, onDisconnect: () => Promise<void> | void = () => {}): void {
  if (!process.send) throw new Error('run this from the mixer bench (it needs an IPC channel)');
  process.on('message', (msg: Request) => {
    void (async () => {
      let reply: Reply;
      try {
        const h = handlers[msg.op] as ((args: unknown) => unknown) | undefined;
        if (!h) throw new Error(`unknown op ${msg.op}`);
        reply = { id: msg.id, ok: true, value: await h(msg.args) };
      } catch (err) {
        reply = { id: msg.id, ok: false, error: (err as Error).message };
      }
      process.send?.(reply);
    })();
  });
  process.once('disconnect', () => void Promise.resolve(onDisconnect()).finally(() => process.exit(0)));
}

/** In the parent: one child's requests. */
export class ChildLink {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(readonly child: ChildProcess, readonly name: string) {
    child.on('message', (msg: Reply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(`${name}: ${msg.error}`));
    });
    child.once('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`${name} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  request<T>(op: string, args: unknown = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, args } satisfies Request);
    });
  }

  /** Close the channel (the child exits) and wait for the exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await exited;
  }
}
