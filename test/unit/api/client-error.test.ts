import assert from 'node:assert/strict';
import net, { type Socket } from 'node:net';
import { clientErrorHandler } from '../../../lib/api/client-error';
import { buildApi, type TestApi } from './fakes';

/** Raw bytes to the listening API; the status and parsed body of its answer. */
function raw(port: number, request: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    s.setTimeout(5000, () => s.destroy(new Error('no answer within 5 s')));
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.on('error', reject);
    s.on('close', () => {
      const [head, body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: body ? JSON.parse(body) : undefined });
    });
    s.write(request);
  });
}

/** What Node's HTTP parser refuses before any route runs answers {code, message} like every other error (issue #15). */
describe('api: errors of the HTTP layer itself', () => {
  let api: TestApi;
  let port = 0;
  before(async () => {
    api = await buildApi();
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    port = (api.app.server.address() as net.AddressInfo).port;
  });
  after(() => api.app.close());

  it('a 20,000-character URL gets 431 with {code, message}', async () => {
    const r = await raw(port, `GET /v1/calls?x=${'a'.repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(r.status, 431);
    assert.deepEqual(r.body, { code: 'E_HEADERS_TOO_LARGE', message: 'the request line and headers are too large' });
  });

  it('a request that is not HTTP gets 400 with {code, message}', async () => {
    const r = await raw(port, 'HELLO THERE\r\n\r\n');
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { code: 'E_BAD_REQUEST', message: 'malformed HTTP request' });
  });

  it('a request timeout gets 408 with {code, message}', () => {
    let written = '';
    let destroyed = false;
    const socket = { destroyed: false, writable: true, write: (t: string) => (written += t), destroy: () => (destroyed = true) };
    clientErrorHandler(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket as unknown as Socket);
    assert.match(written, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.deepEqual(JSON.parse(written.split('\r\n\r\n')[1]), { code: 'E_REQUEST_TIMEOUT', message: 'the request did not arrive in time' });
    assert.ok(destroyed);
  });
});
