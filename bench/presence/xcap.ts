import http from 'node:http';
import { answer } from '../../test/support/digest-client';
import type { User } from './plan';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function httpRequest(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path,
      headers: { ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        if (text.length < 64 * 1024) text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * PUT of a user's own XCAP document (RFC 4825 7.4) with HTTP digest on the user's SIP
 * credentials (RFC 7616; the digest-uri is the request-target as sent): the challenge,
 * then the request with credentials. Resolves with the final status.
 */
export async function xcapPut(port: number, user: User, path: string, doc: string, contentType: string): Promise<Reply> {
  const headers = { 'content-type': contentType };
  const challenge = await httpRequest(port, 'PUT', path, headers, doc);
  if (challenge.status !== 401) return challenge;
  const offered = ([] as string[]).concat(challenge.headers['www-authenticate'] ?? []);
  const authorization = answer(offered[0] ?? '', { user: user.user, password: user.password, method: 'PUT', uri: path });
  return httpRequest(port, 'PUT', path, { ...headers, authorization }, doc);
}

/** Runs `task` over `items`, `concurrency` at a time; the first failure stops the rest and is thrown. */
export async function eachLimited<T>(items: T[], concurrency: number, task: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: Error | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        await task(items[i], i);
      } catch (err) {
        failed = err as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failed) throw failed;
}
