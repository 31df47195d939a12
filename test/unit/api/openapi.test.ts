import assert from 'node:assert/strict';
import { buildApi } from './fakes';

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown>; requestBody?: unknown }>>;
  components: { securitySchemes: Record<string, unknown> };
}

describe('api: OpenAPI document', () => {
  it('describes every route with its methods, security and error responses', async () => {
    const api = await buildApi();
    api.router.get('/feature-thing', { schema: { summary: 'added by a feature' } }, async () => ({}));
    const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as OpenApiDoc;
    assert.match(doc.openapi, /^3\./);
    assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });
    const expected: Record<string, string[]> = {
      '/health': ['get'],
      '/v1/tenants/{domain}/users/{user}': ['put', 'patch', 'get', 'delete'],
      '/v1/tenants/{domain}/users': ['get'],
      '/v1/tenants/{domain}/registrations': ['get'],
      '/v1/calls': ['get'],
      '/v1/calls/{id}': ['get', 'delete'],
      '/v1/feature-thing': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      assert.ok(doc.paths[path], `${path} documented`);
      assert.deepEqual(Object.keys(doc.paths[path]).sort(), [...methods].sort(), path);
    }
    assert.equal(doc.paths['/docs/json'], undefined, 'the document itself is hidden');
    const put = doc.paths['/v1/tenants/{domain}/users/{user}'].put;
    assert.deepEqual(put.security, [{ bearer: [] }]);
    assert.ok(put.requestBody, 'the body schema is documented');
    assert.ok(put.responses['201'] && put.responses['4XX'], 'created and error responses documented');
    const patch = doc.paths['/v1/tenants/{domain}/users/{user}'].patch;
    assert.deepEqual(patch.security, [{ bearer: [] }]);
    assert.ok(patch.requestBody && patch.responses['200'] && patch.responses['4XX'], 'PATCH: body, user and errors documented');
    assert.deepEqual(doc.paths['/health'].get.security, []);
    assert.ok(!res.body.includes('ha1'), 'no credential field in any response schema');
    await api.app.close();
  });
});
