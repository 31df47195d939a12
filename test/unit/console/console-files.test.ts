import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { consoleFiles } from '../../../lib/api/console-files';
import type { HttpHandler } from '../../../lib/api';

describe('console: static files at /console', () => {
  let dir: string;
  let serve: HttpHandler;
  const get = (url: string, method = 'GET') => serve({ method, url, headers: {}, body: Buffer.alloc(0), remoteAddress: '127.0.0.1' });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'console-files-'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html>');
    await writeFile(path.join(dir, 'console.js'), 'void 0');
    await writeFile(path.join(dir, 'secret.txt'), 'no');
    serve = consoleFiles('/console', dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('serves the page at /console and /console/ with a same-origin-only CSP', async () => {
    for (const url of ['/console', '/console/', '/console?x=1']) {
      const r = await get(url);
      assert.equal(r.status, 200, url);
      assert.equal(String(r.body), '<!doctype html>');
      assert.match(String(r.headers?.['content-type']), /^text\/html/);
      assert.match(String(r.headers?.['content-security-policy']), /script-src 'self';/);
    }
    assert.match(String((await get('/console/console.js')).headers?.['content-type']), /^text\/javascript/);
  });

  it('serves nothing but its own files (404), and only to GET and HEAD (405)', async () => {
    for (const url of ['/console/secret.txt', '/console/../package.json', '/console/%2e%2e/package.json', '/console/index.html/']) {
      assert.equal((await get(url)).status, 404, url);
    }
    assert.equal((await get('/console/console.css')).status, 404, 'listed but not built');
    assert.equal((await get('/console', 'POST')).status, 405);
    const head = await get('/console', 'HEAD');
    assert.deepEqual([head.status, head.body], [200, '']);
  });
});
