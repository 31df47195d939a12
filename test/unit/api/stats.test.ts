import assert from 'node:assert/strict';
import type { StatsSample } from '../../../lib/metrics';
import { AUTH, buildApi, type TestApi } from './fakes';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

describe('api: GET /v1/stats/history', () => {
  let api: TestApi;
  let samples: StatsSample[];
  beforeEach(async () => {
    samples = [
      { start: T0, offered: 4, answered: 3, parked: 1, conferences: null },
      { start: T0 + 60_000, offered: 0, answered: 0, parked: 0, conferences: null },
      { start: T0 + 120_000, offered: 2, answered: 3, parked: null, conferences: 2, partial: true },
    ];
    api = await buildApi({ stats: { instanceId: 'fs-1', intervalMs: 60_000, history: async () => samples } });
  });
  afterEach(async () => api.app.close());

  it('the operator gets one sample a minute with the answer rate, the minute under way last', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/stats/history', headers: AUTH });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      instanceId: 'fs-1',
      intervalSeconds: 60,
      samples: [
        { start: '2026-01-01T10:00:00.000Z', offered: 4, answered: 3, answerRate: 0.75, parked: 1, conferences: null },
        { start: '2026-01-01T10:01:00.000Z', offered: 0, answered: 0, answerRate: null, parked: 0, conferences: null },
        // more answered than offered in a minute (offered the minute before): the rate stays at 1
        { start: '2026-01-01T10:02:00.000Z', offered: 2, answered: 3, answerRate: 1, parked: null, conferences: 2, partial: true },
      ],
    });
  });

  it('a tenant token gets 403 E_OPERATOR_ONLY; no token 401', async () => {
    const { token } = await api.tenantTokens.create('example.com');
    const tenant = await api.app.inject({ method: 'GET', url: '/v1/stats/history', headers: { authorization: `Bearer ${token}` } });
    assert.equal(tenant.statusCode, 403);
    assert.equal(tenant.json().code, 'E_OPERATOR_ONLY');
    const none = await api.app.inject({ method: 'GET', url: '/v1/stats/history' });
    assert.equal(none.statusCode, 401);
  });

  it('is in the OpenAPI document with its schema', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const op = doc.paths['/v1/stats/history'].get;
    const schema = op.responses['200'].content['application/json'].schema;
    assert.deepEqual(schema.required, ['instanceId', 'intervalSeconds', 'samples']);
    assert.ok(schema.properties.samples.items.properties.answerRate);
    assert.match(op.description, /operator token only/);
  });

  it('a server without a history has no such route', async () => {
    const bare = await buildApi();
    try {
      assert.equal((await bare.app.inject({ method: 'GET', url: '/v1/stats/history', headers: AUTH })).statusCode, 404);
    } finally {
      await bare.app.close();
    }
  });
});
