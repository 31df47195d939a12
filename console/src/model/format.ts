/** `m:ss`, or `h:mm:ss` from an hour on; never negative. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The API's `{code, message}` error as one line for the operator; anything else by its status. */
export function apiErrorText(status: number, body: unknown): string {
  if (typeof body === 'object' && body !== null) {
    const { code, message } = body as { code?: unknown; message?: unknown };
    if (typeof message === 'string' && message) return typeof code === 'string' ? `${message} (${code})` : message;
  }
  return `the server answered ${status}`;
}
