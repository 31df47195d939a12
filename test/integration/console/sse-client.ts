import http from 'node:http';
import { SseParser, type SseEvent } from '../../../console/src/model/sse-parser';

/** A test's client of GET /v1/events: the events as they arrive, and a wait for one that matches. */
export interface SseClient {
  status: number;
  contentType: string;
  events: SseEvent[];
  /** resolves with the first event (already heard or coming) that matches; rejects after timeoutMs */
  next(pred: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export function openEvents(port: number, token: string | undefined, path = '/v1/events'): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const req = http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      const events: SseEvent[] = [];
      const waiters: Array<() => void> = [];
      const parser = new SseParser((e) => {
        events.push(e);
        for (const w of waiters.splice(0)) w();
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => parser.push(chunk));
      res.on('error', () => undefined);
      const client: SseClient = {
        status: res.statusCode ?? 0,
        contentType: String(res.headers['content-type'] ?? ''),
        events,
        next(pred, timeoutMs = 10000) {
          return new Promise((ok, fail) => {
            const timer = setTimeout(() => fail(new Error(`no such event within ${timeoutMs} ms; heard ${JSON.stringify(events)}`)), timeoutMs);
            const check = (): void => {
              const found = events.find(pred);
              if (found) {
                clearTimeout(timer);
                ok(found);
              } else waiters.push(check);
            };
            check();
          });
        },
        close: () => req.destroy(),
      };
      resolve(client);
    });
    req.on('error', reject);
  });
}
