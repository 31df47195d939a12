import assert from 'node:assert/strict';
import type { HttpRequest } from '../../../lib/api';
import { AUTH, buildApi, type TestApi } from '../api/fakes';

describe('api: a feature HTTP mount (Feature.http, used by XCAP)', () => {
  let api: TestApi;
  let seen: HttpRequest[];
  beforeEach(async () => {
    api = await buildApi();
    seen = [];
    api.http.mount('/own-root', async (req) => {
      seen.push(req);
      if (req.url.includes('boom')) throw new Error('internal detail');
      return { status: 200, headers: { 'content-type': 'application/x-own', etag: '"1"' }, body: `${req.method} ${req.body.length}` };
    }, { bodyLimit: 100 });
  });
  afterEach(async () => api.app.close());

  it('hands every method under the prefix to the handler, raw url and bytes, no bearer token needed', async () => {
    const res = await api.app.inject({ method: 'PUT', url: '/own-root/a/~~/b%5B1%5D?xmlns(p=urn:x)', headers: { 'content-type': 'application/xcap-el+xml' }, payload: '<b/>' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/x-own');
    assert.equal(res.headers.etag, '"1"');
    assert.equal(res.body, 'PUT 4');
    assert.equal(seen[0].url, '/own-root/a/~~/b%5B1%5D?xmlns(p=urn:x)');
    assert.equal(seen[0].remoteAddress, '127.0.0.1');
    assert.equal(seen[0].body.toString(), '<b/>');
    assert.equal(seen[0].headers['content-type'], 'application/xcap-el+xml');
    for (const method of ['GET', 'DELETE'] as const) assert.equal((await api.app.inject({ method, url: '/own-root' })).body, `${method} 0`);
    // JSON is not parsed for it either
    const json = await api.app.inject({ method: 'PUT', url: '/own-root/x', headers: { 'content-type': 'application/json' }, payload: '{bad' });
    assert.equal(json.body, 'PUT 4');
    // no content type at all: still the handler's to judge
    const bare = await api.app.inject({ method: 'PUT', url: '/own-root/x', payload: Buffer.from('<a/>') });
    assert.equal(bare.body, 'PUT 4');
  });

  it('answers an oversized body 413 {code, message} without calling the handler', async () => {
    const res = await api.app.inject({ method: 'PUT', url: '/own-root/x', headers: { 'content-type': 'application/xml' }, payload: 'x'.repeat(101) });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().code, 'E_PAYLOAD_TOO_LARGE');
    assert.equal(seen.length, 0);
  });

  it('keeps a thrown error in the catalogue shape, without its detail', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/own-root/boom' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { code: 'E_INTERNAL', message: 'internal error' });
  });

  it('leaves /v1 bearer-protected and refuses a mount under it', async () => {
    assert.throws(() => api.http.mount('/v1/own', async () => ({ status: 200 }), { bodyLimit: 10 }), /bearer/);
    assert.throws(() => api.http.mount('/own-root', async () => ({ status: 200 }), { bodyLimit: 10 }), /twice/);
    assert.throws(() => api.http.mount('/a b', async () => ({ status: 200 }), { bodyLimit: 10 }), /prefix/);
    assert.equal((await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/users' })).statusCode, 401);
    assert.equal((await api.app.inject({ method: 'GET', url: '/v1/tenants/example.com/users', headers: AUTH })).statusCode, 200);
    assert.equal((await api.app.inject({ method: 'GET', url: '/own-rootx' })).statusCode, 404);
  });
});
