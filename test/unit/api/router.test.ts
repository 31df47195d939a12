import assert from 'node:assert/strict';
import { ClientOfflineError } from 'redis';
import { defineErrors, type ApiRouter } from '../../../lib/api';
import { AUTH, buildApi, type TestApi } from './fakes';

const parkErrors = defineErrors({
  E_PARK_SLOT_TAKEN: { status: 409, sipStatus: 486, message: 'park slot taken' },
});

/** What a feature's routes(api) does: the park feature, say. */
function parkRoutes(api: ApiRouter): void {
  api.post<{ Params: { slot: string }; Body: { callId: string } }>('/park/:slot', {
    schema: {
      summary: 'Park a call',
      params: { type: 'object', additionalProperties: false, properties: { slot: { type: 'string', pattern: '^[0-9]{3}$' } } },
      body: { type: 'object', required: ['callId'], additionalProperties: false, properties: { callId: { type: 'string' } } },
      response: { 200: { type: 'object', properties: { slot: { type: 'string' } } } },
    },
  }, async (req) => {
    if (req.params.slot === '701') throw parkErrors.E_PARK_SLOT_TAKEN(`slot ${req.params.slot} is taken`);
    if (req.params.slot === '500') throw new Error('secret internal detail');
    if (req.params.slot === '503') throw new ClientOfflineError();
    return { slot: req.params.slot, internal: 'dropped by the serializer' };
  });
}

describe('api: feature routes through ApiRouter', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await buildApi();
    parkRoutes(api.router);
  });
  afterEach(async () => api.app.close());

  const post = (slot: string, payload: unknown, headers: Record<string, string> = AUTH) =>
    api.app.inject({ method: 'POST', url: `/v1/park/${slot}`, payload: payload as string, headers });

  it('mounts under /v1 behind the token', async () => {
    assert.equal((await post('702', { callId: 'c1' }, {})).statusCode, 401);
    const ok = await post('702', { callId: 'c1' });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { slot: '702' });
  });

  it("validates the feature's schema into 400 E_BAD_REQUEST", async () => {
    const res = await post('7x', { callId: 'c1' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'E_BAD_REQUEST');
    const res2 = await post('702', { callId: 'c1', extra: true });
    assert.deepEqual(res2.json(), { code: 'E_BAD_REQUEST', message: "body has unknown property 'extra'" });
  });

  it("answers the feature's own coded errors with their status", async () => {
    const res = await post('701', { callId: 'c1' });
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json(), { code: 'E_PARK_SLOT_TAKEN', message: 'slot 701 is taken' });
  });

  it('hides unexpected errors behind 500 E_INTERNAL, and a store outage behind 503', async () => {
    const res = await post('500', { callId: 'c1' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { code: 'E_INTERNAL', message: 'internal error' });
    assert.ok(!res.body.includes('secret') && !res.body.includes('at '), 'no detail, no stack');
    const down = await post('503', { callId: 'c1' });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().code, 'E_UNAVAILABLE');
  });

  it('refuses a path without a leading slash', () => {
    assert.throws(() => api.router.get('park', {}, async () => ({})), /must start with/);
  });
});
