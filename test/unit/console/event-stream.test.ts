import assert from 'node:assert/strict';
import winston from 'winston';
import { ApiScope } from '../../../lib/api';
import { callChangeEvent } from '../../../lib/api/call-change';
import { EventStream, type EventSink } from '../../../lib/api/event-stream';

class FakeSink implements EventSink {
  text = '';
  writableLength = 0;
  ended = false;
  destroyed = false;
  private waiters: Array<() => void> = [];
  write(chunk: string): boolean {
    this.text += chunk;
    for (const w of this.waiters.splice(0)) w();
    return true;
  }
  /** resolves once something was written that contains `text` */
  async written(text: string): Promise<void> {
    while (!this.text.includes(text)) await new Promise<void>((r) => this.waiters.push(r));
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const logger = winston.createLogger({ silent: true });
const change = (tenant: string) => callChangeEvent({ kind: 'created', id: `c@${tenant}`, tenant, state: 'ringing', caller: 'a', callee: 'b', instanceId: 'i', createdAt: 1 });

describe('console: event stream fan-out', () => {
  let stream: EventStream;
  afterEach(() => stream.close());

  it('a tenant token hears its own tenant; the operator all, or the tenant it asked for', () => {
    stream = new EventStream({ logger });
    const [op, opA, tenA, tenB] = [new FakeSink(), new FakeSink(), new FakeSink(), new FakeSink()];
    stream.attach(op, ApiScope.operator());
    stream.attach(opA, ApiScope.operator(), 'A.example');
    stream.attach(tenA, ApiScope.forTenant('a.example', 't1'));
    stream.attach(tenB, ApiScope.forTenant('b.example', 't2'));
    stream.publish(change('a.example'));
    stream.publish(change('b.example'));
    const ids = (s: FakeSink): string[] => [...s.text.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(ids(op), ['c@a.example', 'c@b.example']);
    assert.deepEqual(ids(opA), ['c@a.example']);
    assert.deepEqual(ids(tenA), ['c@a.example']);
    assert.deepEqual(ids(tenB), ['c@b.example']);
  });

  it('refuses a client past maxClients (503)', () => {
    stream = new EventStream({ logger, maxClients: 1 });
    stream.attach(new FakeSink(), ApiScope.operator());
    assert.throws(() => stream.attach(new FakeSink(), ApiScope.operator()), (err: Error & { status?: number }) => err.status === 503);
  });

  it('drops a client that stopped reading, and keeps serving the others', () => {
    stream = new EventStream({ logger, maxLagBytes: 1000 });
    const slow = new FakeSink();
    const fast = new FakeSink();
    stream.attach(slow, ApiScope.operator());
    stream.attach(fast, ApiScope.operator());
    slow.writableLength = 1001;
    stream.publish(change('a.example'));
    assert.equal(slow.destroyed, true);
    assert.equal(stream.size, 1);
    assert.equal(stream.droppedClients, 1);
    stream.publish(change('b.example'));
    assert.match(fast.text, /c@b\.example/);
  });

  it('sends heartbeats while idle', async () => {
    stream = new EventStream({ logger, heartbeatMs: 20 });
    const sink = new FakeSink();
    stream.attach(sink, ApiScope.operator());
    await sink.written(': heartbeat');
    stream.close();
    assert.equal(sink.ended, true);
  });
});
