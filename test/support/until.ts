/**
 * Polls `probe` every 50 ms until it gives a value (anything but undefined or false) and
 * returns it; throws after `timeoutMs` naming `what`. For states with no event to await
 * (a process gone, a pidfile rewritten, /health turning 200).
 */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
