import assert from 'node:assert/strict';
import winston from 'winston';
import { BusError, defineEvent, defineOp, guards, RequestBus } from '../../../lib/bus';
import { MemoryHub } from './memory-hub';

const { obj, str, bool, int } = guards;
const logger = winston.createLogger({ silent: true });

const hangup = defineOp('call.hangup', { args: obj({ callId: str({ max: 64 }) }), result: obj({ found: bool }) });
const add = defineOp('test.add', { args: obj({ a: int({ min: 0, max: 100 }), b: int({ min: 0, max: 100 }) }), result: int({ min: 0, max: 200 }) });

async function pair(hub = new MemoryHub()): Promise<{ hub: MemoryHub; one: RequestBus; two: RequestBus }> {
  return { hub, one: await RequestBus.start(hub.transport(), 'fs-1', logger), two: await RequestBus.start(hub.transport(), 'fs-2', logger) };
}

async function rejectsWith(p: Promise<unknown>, code: string, re?: RegExp): Promise<BusError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof BusError, `a BusError, not ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (re) assert.match(err.message, re);
    return err;
  }
  throw new assert.AssertionError({ message: `expected ${code}, got a result` });
}

/** The next reply the hub carried to `to`, parsed. */
function repliesTo(hub: MemoryHub, to: string): Array<Record<string, unknown>> {
  return hub.sent.filter((m) => m.to === to).map((m) => JSON.parse(m.payload) as Record<string, unknown>).filter((m) => m.kind === 'reply');
}

describe('bus: typed request/response', () => {
  it('the owner serves an op; the asker gets its typed result', async () => {
    const { one, two } = await pair();
    const seen: string[] = [];
    two.serve(hangup, ({ callId }, { from }) => {
      seen.push(`${from}:${callId}`);
      return { found: callId === 'live' };
    });
    assert.deepEqual(await one.request('fs-2', hangup, { callId: 'live' }, { timeoutMs: 1000 }), { found: true });
    assert.deepEqual(await one.request('fs-2', hangup, { callId: 'other' }, { timeoutMs: 1000 }), { found: false });
    assert.deepEqual(seen, ['fs-1:live', 'fs-1:other']);
  });

  it('E_OWNER_GONE when nobody listens as that instance; alive() says the same', async () => {
    const { one, two } = await pair();
    assert.equal(await one.alive('fs-2'), true);
    await two.close();
    assert.equal(await one.alive('fs-2'), false);
    await rejectsWith(one.request('fs-2', hangup, { callId: 'x' }, { timeoutMs: 1000 }), 'E_OWNER_GONE', /fs-2 is not running/);
  });

  it('E_OWNER_UNAVAILABLE when the owner listens but does not answer in time; it drops the request once thawed', async () => {
    const { hub, one, two } = await pair();
    let ran = 0;
    two.serve(hangup, () => {
      ran++;
      return { found: true };
    });
    hub.freeze('fs-2');
    const started = Date.now();
    await rejectsWith(one.request('fs-2', hangup, { callId: 'x' }, { timeoutMs: 150 }), 'E_OWNER_UNAVAILABLE', /did not answer 'call\.hangup' within 150 ms/);
    assert.ok(Date.now() - started >= 140);
    hub.thaw('fs-2');
    // the late request is dropped, not run; a fresh one is served
    assert.deepEqual(await one.request('fs-2', hangup, { callId: 'x' }, { timeoutMs: 1000 }), { found: true });
    assert.equal(ran, 1, 'the request past its deadline was not run');
  });

  it("the handler's failure comes back as E_REMOTE with its code and status", async () => {
    const { one, two } = await pair();
    two.serve(hangup, () => {
      throw Object.assign(new Error('no such call'), { code: 'E_CALL_NOT_FOUND', status: 404 });
    });
    const err = await rejectsWith(one.request('fs-2', hangup, { callId: 'x' }, { timeoutMs: 1000 }), 'E_REMOTE', /no such call/);
    assert.deepEqual(err.remote, { code: 'E_CALL_NOT_FOUND', message: 'no such call', status: 404 });
    two.serve(add, async () => {
      throw new TypeError('boom');
    });
    const plain = await rejectsWith(one.request('fs-2', add, { a: 1, b: 2 }, { timeoutMs: 1000 }), 'E_REMOTE');
    assert.equal(plain.remote?.code, 'E_REMOTE');
  });

  it('E_BAD_REQUEST for an op the owner does not serve, and for arguments its guard refuses', async () => {
    const { one, two } = await pair();
    two.serve(add, ({ a, b }) => a + b);
    await rejectsWith(one.request('fs-2', hangup, { callId: 'x' }, { timeoutMs: 1000 }), 'E_BAD_REQUEST', /unknown op 'call\.hangup'/);
    // the asker checks its own arguments first
    await rejectsWith(one.request('fs-2', add, { a: 1, b: 500 }, { timeoutMs: 1000 }), 'E_BAD_REQUEST', /args\.b must be in 0\.\.100/);
    // an asker with a different idea of the op (another version): the owner's guard refuses
    const older = defineOp('test.add', { args: obj({ a: int({ min: 0, max: 1000 }), b: int({ min: 0, max: 1000 }) }), result: int({ min: 0, max: 2000 }) });
    await rejectsWith(one.request('fs-2', older, { a: 1, b: 500 }, { timeoutMs: 1000 }), 'E_BAD_REQUEST', /test\.add: args\.b must be in 0\.\.100/);
    assert.equal(await one.request('fs-2', add, { a: 1, b: 2 }, { timeoutMs: 1000 }), 3);
  });

  it('a malformed result is E_REMOTE, not a wrongly typed value', async () => {
    const { one, two } = await pair();
    const loose = defineOp('test.add', { args: guards.json, result: guards.json });
    two.serve(loose, () => 'three');
    await rejectsWith(one.request('fs-2', add, { a: 1, b: 2 }, { timeoutMs: 1000 }), 'E_REMOTE', /malformed result: result must be an integer/);
  });

  it('garbage on the bus never crashes an instance; a malformed request with a sender gets E_BAD_REQUEST back', async () => {
    const { hub, one, two } = await pair();
    two.serve(add, ({ a, b }) => a + b);
    const garbage = ['', 'null', '{', '[]', '"x"', '{"kind":"request"}', JSON.stringify({ kind: 'reply', id: 'zz', from: 'fs-1', to: 'fs-2', result: 1 }),
      JSON.stringify({ kind: 'event', id: 'e', op: 'x', args: 1, from: 'a', to: 'fs-2' }), 'x'.repeat(20000),
      JSON.stringify({ kind: 'request', id: 'bad1', op: 'test.add', from: 'fs-1', to: 'fs-2', deadline: Date.now() + 10000 }),
      JSON.stringify({ kind: 'request', id: 'bad2', op: 'test.add', args: { a: 'x' }, from: 'fs-1', to: 'fs-2', deadline: Date.now() + 10000 }),
      JSON.stringify({ kind: 'request', id: 'bad3', op: 'no.such', args: {}, from: 'fs-1', to: 'fs-2', deadline: Date.now() + 10000 })];
    for (const g of garbage) hub.inject('fs-2', g);
    // still serving, and the three malformed requests with a sender got error replies
    assert.equal(await one.request('fs-2', add, { a: 2, b: 2 }, { timeoutMs: 1000 }), 4);
    const errors = repliesTo(hub, 'fs-1').filter((r) => typeof r.id === 'string' && (r.id as string).startsWith('bad'));
    assert.deepEqual(errors.map((r) => [r.id, (r.error as { code: string }).code]).sort(), [['bad1', 'E_BAD_REQUEST'], ['bad2', 'E_BAD_REQUEST'], ['bad3', 'E_BAD_REQUEST']]);
  });

  it('a reply from another instance than the one asked is ignored', async () => {
    const { hub, one, two } = await pair();
    const three = await RequestBus.start(hub.transport(), 'fs-3', logger);
    two.serve(add, async ({ a, b }) => {
      // fs-3 answers first, forging fs-2's reply under the same id
      const req = hub.sent.filter((m) => m.to === 'fs-2').map((m) => JSON.parse(m.payload) as { id: string }).at(-1);
      hub.inject('fs-1', JSON.stringify({ kind: 'reply', id: req?.id, from: 'fs-3', to: 'fs-1', result: 99 }));
      await new Promise((r) => setTimeout(r, 10));
      return a + b;
    });
    assert.equal(await one.request('fs-2', add, { a: 1, b: 1 }, { timeoutMs: 1000 }), 2);
    await three.close();
  });

  it('an op is served once per instance; a result over the size cap comes back as an error', async () => {
    const { one, two } = await pair();
    const big = defineOp('test.big', { args: guards.json, result: guards.json });
    two.serve(big, () => 'x'.repeat(20000));
    assert.throws(() => two.serve(big, () => 1), /served twice/);
    await rejectsWith(one.request('fs-2', big, {}, { timeoutMs: 1000 }), 'E_REMOTE', /over the 16384-byte cap/);
    await rejectsWith(one.request('fs-2', big, { pad: 'x'.repeat(20000) }, { timeoutMs: 1000 }), 'E_BAD_REQUEST', /cap/);
  });

  it('a typed event: its body is checked before it leaves and when it arrives; a malformed one is dropped', async () => {
    const { one, two } = await pair();
    const lamp = defineEvent('test.lamp', guards.obj({ slot: guards.str({ max: 8 }), occupied: guards.bool }));
    const heard: Array<{ slot: string; occupied: boolean }> = [];
    const got = new Promise<void>((resolve) => two.on(lamp, (b) => {
      heard.push(b);
      resolve();
    }));
    await rejectsWith(one.publish(lamp, { slot: '701', occupied: 'yes' } as unknown as { slot: string; occupied: boolean }), 'E_BAD_REQUEST', /occupied/);
    // sent by name with a bad body (as an old or foreign instance might): the typed listener never sees it
    await one.publish('test.lamp', { slot: '701', occupied: 'yes' });
    await one.publish(lamp, { slot: '702', occupied: true });
    await got;
    assert.deepEqual(heard, [{ slot: '702', occupied: true }]);
  });

  it('events reach every instance, the sender included', async () => {
    const { one, two } = await pair();
    const heard: string[] = [];
    const done = new Promise<void>((resolve) => {
      const note = (who: string) => (body: unknown): void => {
        heard.push(`${who}:${String(body)}`);
        if (heard.length === 2) resolve();
      };
      one.on('x', note('one'));
      two.on('x', note('two'));
    });
    await one.publish('x', 'hi');
    await done;
    assert.deepEqual(heard.sort(), ['one:hi', 'two:hi']);
  });

  it('close() fails what is still waiting', async () => {
    const { hub, one } = await pair();
    hub.freeze('fs-2');
    const p = one.request('fs-2', hangup, { callId: 'x' }, { timeoutMs: 10000 });
    await one.close();
    await rejectsWith(p, 'E_OWNER_UNAVAILABLE', /closed/);
  });
});
