/**
 * A refresh that a burst of events asks for many times runs at most twice: once now, and
 * once more after it if anything asked meanwhile (so the last state is always fetched),
 * never two at once.
 */
export function coalesced(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  const start = (): Promise<void> => {
    running = (async () => {
      try {
        do {
          again = false;
          await run();
        } while (again);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  return () => {
    if (running) {
      again = true;
      return running;
    }
    return start();
  };
}
