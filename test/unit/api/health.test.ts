import assert from 'node:assert/strict';
import { buildApi } from './fakes';

describe('api: /health', () => {
  it('is 200 with every check when all are ok', async () => {
    const api = await buildApi({ health: async () => ({ redis: { ok: true, detail: 'PING 1 ms' }, engine: { ok: true } }) });
    const res = await api.app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok', checks: { redis: { ok: true, detail: 'PING 1 ms' }, engine: { ok: true } } });
    await api.app.close();
  });

  it('is 503 when any check fails', async () => {
    const api = await buildApi({ health: async () => ({ redis: { ok: false, detail: 'not connected' }, engine: { ok: true } }) });
    const res = await api.app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), { status: 'fail', checks: { redis: { ok: false, detail: 'not connected' }, engine: { ok: true } } });
    await api.app.close();
  });

  it('is 503 when the checks throw or hang, instead of failing or hanging itself', async () => {
    const throwing = await buildApi({ health: async () => { throw new Error('boom'); } });
    const res = await throwing.app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), { status: 'fail', checks: { health: { ok: false, detail: 'boom' } } });
    await throwing.app.close();
    const hanging = await buildApi({ health: () => new Promise(() => undefined), healthTimeoutMs: 50 });
    const res2 = await hanging.app.inject({ method: 'GET', url: '/health' });
    assert.equal(res2.statusCode, 503);
    assert.match(res2.json().checks.health.detail, /within 50 ms/);
    await hanging.app.close();
  });
});
