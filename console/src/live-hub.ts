import { useEffect, useState } from 'preact/hooks';
import { coalesced } from './model/coalesce';
import type { SseEvent } from './model/sse-parser';

export interface LiveListener {
  /** the stream (re)connected: fetch the list now */
  onOpen?(): void;
  onEvent?(e: SseEvent): void;
}

/**
 * Hands the one event stream the app keeps open (live.ts) on to the views that need it,
 * so each view fetches and keeps its own list without the app knowing its topics.
 */
export class LiveHub {
  private readonly listeners = new Set<LiveListener>();
  live = false;

  on(l: LiveListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  open(): void {
    this.live = true;
    for (const l of [...this.listeners]) l.onOpen?.();
  }

  down(): void {
    this.live = false;
  }

  event(e: SseEvent): void {
    for (const l of [...this.listeners]) l.onEvent?.(e);
  }
}

/**
 * A list fetched when the stream (re)connects and again (coalesced, runs `minGapMs` apart)
 * on each of `topics`; with `pollMs`, also that often (for changes that have no event).
 */
export function useLiveList<T>(hub: LiveHub, topics: readonly string[], load: () => Promise<T>, failed: (err: unknown) => void,
  opts: { pollMs?: number; key?: string; minGapMs?: number } = {}): [T | undefined, () => void] {
  const [data, setData] = useState<T | undefined>(undefined);
  const [refresh] = useState(() => coalesced(async () => setData(await load()), { minGapMs: opts.minGapMs }));
  const run = (): void => void refresh().catch(failed);
  useEffect(() => {
    if (hub.live) run();
    const off = hub.on({ onOpen: run, onEvent: (e) => { if (topics.includes(e.event)) run(); } });
    const poll = opts.pollMs ? setInterval(() => { if (hub.live) run(); }, opts.pollMs) : undefined;
    return () => {
      off();
      if (poll) clearInterval(poll);
    };
  }, [hub, opts.key]);
  return [data, run];
}
