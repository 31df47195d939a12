import assert from 'node:assert/strict';
import { apiSchemas, defineErrors, errors, tenantFrom } from '../../../lib/api';
import { CallOwners, forwardCallRoutes, RequestBus } from '../../../lib/bus';
import { AUTH, buildApi, sampleCall, silentLogger, type TestApi } from '../api/fakes';
import { MemoryHub } from './memory-hub';

const testErrors = defineErrors({ E_ALREADY_ON_HOLD: { status: 409, message: 'already on hold' } });
/** what the slow route's owner takes: more than the 200 ms default forward timeout of these tests */
const SLOW_OWNER_MS = 400;

interface Node {
  name: string;
  api: TestApi;
  bus: RequestBus;
  live: Set<string>;
  held: Set<string>;
  /** which requests this instance's routes ran */
  ran: string[];
}

/**
 * Two instances' REST APIs over one in-memory bus and one shared call store: a route on
 * a call owned by the other instance is run there (lib/bus/rest-owner.ts).
 */
describe('bus: REST on a call owned by another instance', () => {
  let hub: MemoryHub;
  let store: Map<string, { instanceId: string; tenant: string }>;
  let a: Node;
  let b: Node;

  async function node(name: string): Promise<Node> {
    const live = new Set<string>();
    const held = new Set<string>();
    const ran: string[] = [];
    const bus = await RequestBus.start(hub.transport(), name, silentLogger);
    const owners = new CallOwners({
      bus, logger: silentLogger, hangupTimeoutMs: 200, local: (id) => live.has(id),
      hangupLocal: (id) => {
        ran.push(`hangup ${id}`);
        return live.delete(id);
      },
      record: async (id) => store.get(id) ?? null, forget: async (id) => store.delete(id),
    });
    const api = await buildApi({
      calls: {
        list: async () => [],
        get: async (id) => (store.has(id) ? { ...sampleCall(id, store.get(id)?.tenant), instanceId: store.get(id)?.instanceId ?? '' } : null),
        hangup: (id) => owners.hangup(id),
      },
    });
    api.router.post<{ Params: { id: string } }>('/calls/:id/hold', {
      tenant: tenantFrom.resource, schema: { params: apiSchemas.callParams },
    }, async (req, reply) => {
      ran.push(`hold ${req.params.id}`);
      if (!live.has(req.params.id)) throw errors.E_NOT_FOUND(`not here: ${name}`);
      if (held.has(req.params.id)) throw testErrors.E_ALREADY_ON_HOLD();
      held.add(req.params.id);
      return reply.code(204).send();
    });
    api.router.post<{ Body: { calls: string[] } }>('/conferences', {
      tenant: tenantFrom.resource, callIds: { from: 'body', name: 'calls' },
      schema: { body: { type: 'object', properties: { calls: { type: 'array', items: apiSchemas.callIdSchema } } } },
    }, async (req, reply) => {
      ran.push(`merge ${req.body.calls.join('+')}`);
      return reply.code(201).send({ mergedBy: name });
    });
    // an owner that takes longer than the default forward timeout (a transfer ringing its target)
    api.router.post<{ Params: { id: string } }>('/calls/:id/slow', {
      tenant: tenantFrom.resource, schema: { params: apiSchemas.callParams }, forwardTimeoutMs: 10000,
    }, async (req, reply) => {
      ran.push(`slow ${req.params.id}`);
      await new Promise((r) => setTimeout(r, SLOW_OWNER_MS));
      return reply.code(204).send();
    });
    forwardCallRoutes(api.app, owners, { forwardTimeoutMs: 200 });
    await api.app.ready();
    return { name, api, bus, live, held, ran };
  }

  /** a live call owned by `n` */
  function call(n: Node, id: string, tenant = 'example.com'): string {
    n.live.add(id);
    store.set(id, { instanceId: n.name, tenant });
    return id;
  }

  async function req(n: Node, method: 'POST' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<{ status: number; body: { code?: string; message?: string; mergedBy?: string } }> {
    const r = await n.api.app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : {} };
  }

  beforeEach(async () => {
    hub = new MemoryHub();
    store = new Map();
    a = await node('fs-a');
    b = await node('fs-b');
  });

  afterEach(async () => {
    for (const n of [a, b]) {
      await n.bus.close();
      await n.api.app.close();
    }
  });

  it("hold, hold again and DELETE through A of a call owned by B: B runs them, A answers B's answers", async () => {
    const id = call(b, 'c1');
    assert.equal((await req(a, 'POST', `/v1/calls/${id}/hold`)).status, 204);
    const again = await req(a, 'POST', `/v1/calls/${id}/hold`);
    assert.deepEqual([again.status, again.body.code], [409, 'E_ALREADY_ON_HOLD']);
    assert.equal((await req(a, 'DELETE', `/v1/calls/${id}`)).status, 204);
    assert.deepEqual(b.ran, ['hold c1', 'hold c1', 'hangup c1']);
    assert.deepEqual(a.ran, [], 'A ran nothing itself');
    assert.equal(b.live.has(id), false);
  });

  it('a call of this instance, or of none, is answered here', async () => {
    call(a, 'mine');
    assert.equal((await req(a, 'POST', '/v1/calls/mine/hold')).status, 204);
    const none = await req(a, 'POST', '/v1/calls/nosuch/hold');
    assert.deepEqual([none.status, none.body.message], [404, 'not here: fs-a']);
    assert.deepEqual(a.ran, ['hold mine', 'hold nosuch']);
    assert.deepEqual(b.ran, []);
  });

  it('owner gone: 404 with {code, message}, and the record of the call is dropped', async () => {
    const id = call(b, 'c2');
    await b.bus.close();
    const r = await req(a, 'POST', `/v1/calls/${id}/hold`);
    assert.equal(r.status, 404);
    assert.equal(r.body.code, 'E_CALL_NOT_FOUND');
    assert.match(r.body.message ?? '', /ended with its instance fs-b/);
    assert.equal(store.has(id), false);
    call(b, 'c3');
    await b.bus.close();
    assert.equal((await req(a, 'DELETE', '/v1/calls/c3')).status, 404);
    assert.deepEqual(b.ran, []);
  });

  it('owner silent: 503 E_OWNER_UNAVAILABLE within the timeout; it does not act later; then it works again', async () => {
    const id = call(b, 'c4');
    hub.freeze('fs-b');
    const started = Date.now();
    const hold = await req(a, 'POST', `/v1/calls/${id}/hold`);
    assert.deepEqual([hold.status, hold.body.code], [503, 'E_OWNER_UNAVAILABLE']);
    const del = await req(a, 'DELETE', `/v1/calls/${id}`);
    assert.deepEqual([del.status, del.body.code], [503, 'E_OWNER_UNAVAILABLE']);
    assert.ok(Date.now() - started < 2000, 'answered within the timeouts (200 ms each here)');
    hub.thaw('fs-b');
    assert.equal((await req(a, 'POST', `/v1/calls/${id}/hold`)).status, 204);
    assert.deepEqual(b.ran, ['hold c4'], 'the requests past their deadline were dropped');
  });

  it('a route with its own forwardTimeoutMs waits for a slow owner longer than the default', async () => {
    const id = call(b, 'c5');
    const started = Date.now();
    const r = await req(a, 'POST', `/v1/calls/${id}/slow`);
    assert.equal(r.status, 204, JSON.stringify(r.body));
    assert.ok(Date.now() - started >= SLOW_OWNER_MS, 'the owner took longer than the default 200 ms');
    assert.deepEqual(b.ran, ['slow c5']);
  });

  it('merge: two calls of B are merged by B; calls on two instances are 409 E_CALLS_SPLIT', async () => {
    call(b, 'm1');
    call(b, 'm2');
    const r = await req(a, 'POST', '/v1/conferences', { calls: ['m1', 'm2'] });
    assert.deepEqual([r.status, r.body.mergedBy], [201, 'fs-b']);
    call(a, 'm3');
    const split = await req(a, 'POST', '/v1/conferences', { calls: ['m3', 'm1'] });
    assert.deepEqual([split.status, split.body.code], [409, 'E_CALLS_SPLIT']);
    call(a, 'm4');
    assert.equal((await req(a, 'POST', '/v1/conferences', { calls: ['m3', 'm4'] })).body.mergedBy, 'fs-a');
  });

  it("a tenant token never reaches another tenant's call of another instance: the local 404, even with the owner silent", async () => {
    const id = call(b, 'c5', 'other.example');
    const { token } = await a.api.tenantTokens.create('example.com');
    hub.freeze('fs-b');
    const r = await req(a, 'POST', `/v1/calls/${id}/hold`, undefined, { authorization: `Bearer ${token}` });
    assert.deepEqual([r.status, r.body.message], [404, 'not here: fs-a']);
  });

  it('a request forwarded once is run where it lands, never forwarded on', async () => {
    const id = call(b, 'c6');
    const r = await req(a, 'POST', `/v1/calls/${id}/hold`, undefined, { ...AUTH, 'x-forwarded-by-instance': 'fs-x' });
    assert.equal(r.status, 404);
    assert.deepEqual(b.ran, []);
  });
});
