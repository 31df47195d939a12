import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { SubscribeContext } from '../../../lib/feature';

export interface Sent {
  headers: Record<string, string>;
  body?: string;
}

/** srf's side of a SUBSCRIBE dialog: records the NOTIFYs, answers each 200 and tells the test. */
export class FakeDialog extends EventEmitter {
  readonly notifies: Sent[] = [];
  private waiters: Array<() => void> = [];
  request(o: Sent): Promise<{ status: number }> {
    this.notifies.push(o);
    for (const w of this.waiters.splice(0)) w();
    return Promise.resolve({ status: 200 });
  }

  /** resolves once `n` NOTIFYs were sent (or rejects after 5 s) */
  async sent(n: number): Promise<Sent[]> {
    const deadline = Date.now() + 5000;
    while (this.notifies.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.notifies.length} NOTIFYs, waited for ${n}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return this.notifies;
  }

  destroy(): Promise<void> {
    return Promise.resolve();
  }
}

export const quietLogger = { info: () => undefined, warn: () => undefined, child: () => quietLogger } as unknown as Logger;

/** An srf whose createUAS answers 200 and hands out FakeDialogs, kept in `dialogs`. */
export function fakeSrf(): { srf: Srf; dialogs: FakeDialog[] } {
  const dialogs: FakeDialog[] = [];
  const srf = {
    createUAS: async (_req: unknown, res: { send(s: number): void }) => {
      res.send(200);
      const d = new FakeDialog();
      dialogs.push(d);
      return d;
    },
  } as unknown as Srf;
  return { srf, dialogs };
}

export type TestContext = SubscribeContext & { statuses: Array<{ status: number; headers?: Record<string, string> }> };

/** A new SUBSCRIBE of `subscriber` to `target` in tenant t, its answers recorded. */
export function subscribeContext(subscriber: string, target: string, headers: Record<string, string> = { Expires: '600' }): TestContext {
  const statuses: TestContext['statuses'] = [];
  return {
    statuses,
    req: { get: (h: string) => headers[h], has: (h: string) => h in headers } as unknown as Srf.SrfRequest,
    res: { send: (status: number, _r?: string, o?: { headers?: Record<string, string> }) => statuses.push({ status, headers: o?.headers }) } as unknown as Srf.SrfResponse,
    tenant: 't', subscriber, target, logger: quietLogger,
  };
}
