import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { HttpHandler, HttpResponse } from './http-mount';

/** The operator console's files (built by `npm run build` into dist/console), by URL under the mount. */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.js.map': { file: 'console.js.map', type: 'application/json' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};

/**
 * Nothing but this origin's own files: no inline script, no other origin, no framing
 * (the page holds an operator token).
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Serves the console (issue 20) from `dir`: a fixed list of files, so no URL can name any
 * other file; GET and HEAD only. The page itself is public, like any login page: what it
 * shows comes from /v1 with the token the operator types in.
 */
export function consoleFiles(prefix: string, dir: string): HttpHandler {
  const cache = new Map<string, Buffer>();
  return async (req): Promise<HttpResponse> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return { status: 405, headers: { allow: 'GET, HEAD', 'content-type': 'application/json' }, body: JSON.stringify({ code: 'E_METHOD_NOT_ALLOWED', message: 'the console is read with GET' }) };
    }
    const q = req.url.indexOf('?');
    const entry = FILES[(q === -1 ? req.url : req.url.slice(0, q)).slice(prefix.length)];
    if (!entry) return { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'E_NOT_FOUND', message: 'no such console file' }) };
    let body = cache.get(entry.file);
    if (!body) {
      try {
        body = await readFile(path.join(dir, entry.file));
      } catch {
        return { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'E_NOT_FOUND', message: 'the console is not built (npm run build)' }) };
      }
      cache.set(entry.file, body);
    }
    return { status: 200, headers: { 'content-type': entry.type, 'cache-control': 'no-cache', ...SECURITY_HEADERS }, body: req.method === 'HEAD' ? '' : body };
  };
}
