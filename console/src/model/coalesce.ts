/** Spacing between runs: with `minGapMs`, a run follows the start of the one before no sooner. */
export interface CoalesceOptions {
  minGapMs?: number;
  /** the clock and the wait (tests pass their own) */
  now?: () => number;
  wait?: (ms: number) => Promise<void>;
}

/**
 * A refresh that a burst of events asks for many times runs at most twice: once now, and
 * once more after it if anything asked meanwhile (so the last state is always fetched),
 * never two at once. With `minGapMs`, a steady stream of asks (a registrar's REGISTERs)
 * costs one run per gap, not one after another.
 */
export function coalesced(run: () => Promise<void>, opts: CoalesceOptions = {}): () => Promise<void> {
  const now = opts.now ?? (() => Date.now());
  const wait = opts.wait ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let running: Promise<void> | undefined;
  let again = false;
  const start = (): Promise<void> => {
    let done: () => void = () => undefined;
    let fail: (err: unknown) => void = () => undefined;
    // set before the first run starts: an ask made from inside it is one more run, not a second at once
    running = new Promise<void>((resolve, reject) => {
      done = resolve;
      fail = reject;
    });
    const current = running;
    void (async () => {
      try {
        do {
          again = false;
          const started = now();
          await run();
          const left = (opts.minGapMs ?? 0) - (now() - started);
          if (again && left > 0) await wait(left);
        } while (again);
        running = undefined;
        done();
      } catch (err) {
        running = undefined;
        fail(err);
      }
    })();
    return current;
  };
  return () => {
    if (running) {
      again = true;
      return running;
    }
    return start();
  };
}
