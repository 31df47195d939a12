import { ApiFailure, type ApiClient } from './api';
import { SseParser, type SseEvent } from './model/sse-parser';

export interface LiveHandlers {
  /** connected (again): fetch the lists now, the events from here on keep them current */
  onOpen(): void;
  onEvent(e: SseEvent): void;
  onDown(why: string): void;
  /** the token was refused (401): no reconnecting with it */
  onRefused(): void;
}

/**
 * Keeps GET /v1/events open: on a drop it reconnects after a pause that doubles up to
 * 30 s (so a server that is down is not hammered), and reports each state; a refused
 * token ends it.
 */
export function keepLive(api: ApiClient, h: LiveHandlers): () => void {
  const abort = new AbortController();
  let pause = 1000;
  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const parser = new SseParser((e) => h.onEvent(e));
        let opened = false;
        await api.stream((text) => {
          if (!opened) {
            opened = true;
            pause = 1000;
            h.onOpen();
          }
          parser.push(text);
        }, abort.signal);
        h.onDown('the event stream ended');
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err instanceof ApiFailure && err.status === 401) {
          h.onRefused();
          return;
        }
        h.onDown((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 30_000);
    }
  };
  void run();
  return () => abort.abort();
}
