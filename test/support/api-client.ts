import http from 'node:http';

export interface ApiReply {
  status: number;
  /** parsed JSON, or the raw text when it is not JSON */
  body: unknown;
}

/** One REST request to a feature server on 127.0.0.1 (bearer token when given). */
export function apiRequest(port: number, method: string, path: string, body?: unknown, token?: string): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
    } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** GET of the engine's /stats (JSON counters). */
export function engineStatsAt(port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/stats' }, (res) => {
      let t = '';
      res.on('data', (c: Buffer) => (t += c.toString()));
      res.on('end', () => resolve(JSON.parse(t) as Record<string, number>));
    }).on('error', reject);
  });
}
