import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';

export const BENCH_TOKEN = 'bench-token-0123456789';
export const BENCH_TENANT = 'example.com';

interface FakeCall {
  id: string;
  tenant: string;
  state: 'answered';
  caller: { user: string };
  callee: { user: string };
  instanceId: string;
  createdAt: string;
  answeredAt: string;
  held?: { caller?: string };
}

export interface FakeApi {
  port: number;
  /** call events sent so far */
  sent(): number;
  close(): Promise<void>;
}

/**
 * What the console reads of the feature server, faked: the built console's files, `calls`
 * live calls, and on GET /v1/events `rate` call events a second (an end and a new call,
 * or a hold or a resume), so the list stays near `calls` long. Loopback only.
 */
export async function startFakeApi(consoleDir: string, calls: number, rate: number): Promise<FakeApi> {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const [name, type] of [['index.html', 'text/html'], ['console.js', 'text/javascript'], ['console.css', 'text/css']] as const) {
    files.set(name, { type, body: await readFile(path.join(consoleDir, name)) });
  }
  let next = 0;
  const t0 = Date.now() - 3_600_000;
  const make = (): FakeCall => {
    const n = next++;
    const at = new Date(t0 + n * 100).toISOString();
    return { id: `bench-${n}`, tenant: BENCH_TENANT, state: 'answered', caller: { user: `u${n % 997}` }, callee: { user: `v${n % 991}` },
      instanceId: `fs-${n % 3}`, createdAt: at, answeredAt: at };
  };
  const live: FakeCall[] = Array.from({ length: calls }, make);
  let sent = 0;
  const streams = new Set<ServerResponse>();
  const event = (change: string, c: FakeCall): string => `event: call\ndata: ${JSON.stringify({ change, ...c, ...(change === 'ended' ? { state: 'ended' } : {}) })}\n\n`;
  // 200 events a second in 20 ms steps
  const perStep = rate / 50;
  let owed = 0;
  const timer = setInterval(() => {
    owed += perStep;
    let out = '';
    while (owed >= 1) {
      owed--;
      const i = Math.floor(Math.random() * live.length);
      const c = live[i];
      if (Math.random() < 0.5) {
        // one ends and another starts: two events
        live.splice(i, 1);
        const n = make();
        live.push(n);
        out += event('ended', c) + event('created', n);
        sent += 2;
        owed--;
      } else {
        c.held = c.held ? undefined : { caller: new Date().toISOString() };
        out += event(c.held ? 'held' : 'resumed', c);
        sent++;
      }
    }
    if (out) for (const s of streams) s.write(out);
  }, 20);

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/console' || url.pathname.startsWith('/console/')) {
      const f = files.get(url.pathname === '/console' || url.pathname === '/console/' ? 'index.html' : url.pathname.slice('/console/'.length));
      if (!f) return json(res, 404, { code: 'E_NOT_FOUND', message: 'no such file' });
      res.writeHead(200, { 'content-type': f.type, 'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'" });
      res.end(f.body);
      return;
    }
    if (req.headers.authorization !== `Bearer ${BENCH_TOKEN}`) return json(res, 401, { code: 'E_UNAUTHORIZED', message: 'missing or invalid bearer token' });
    if (url.pathname === '/v1/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': hello\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (url.pathname === '/v1/calls') return json(res, 200, { calls: live });
    if (url.pathname === `/v1/tenants/${BENCH_TENANT}/park`) return json(res, 200, { extension: '700', firstSlot: 701, lastSlot: 712, timeout: 45 });
    if (url.pathname === '/v1/parks') return json(res, 200, { parks: [] });
    if (url.pathname === '/v1/stats/history') {
      const start = Date.now() - (Date.now() % 60_000);
      return json(res, 200, { instanceId: 'bench', intervalSeconds: 60, samples: Array.from({ length: 61 }, (_, k) => ({
        start: new Date(start - (60 - k) * 60_000).toISOString(), offered: 6000, answered: 5400, answerRate: 0.9, parked: 3, conferences: null,
        ...(k === 60 ? { partial: true } : {}) })) });
    }
    return json(res, 404, { code: 'E_NOT_FOUND', message: 'not faked' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    sent: () => sent,
    async close() {
      clearInterval(timer);
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
