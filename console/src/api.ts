import { apiErrorText } from './model/format';

/** An API failure as the operator should read it: the server's own message. */
export class ApiFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * The REST API with the operator's token in the Authorization header (RFC 6750 2.1):
 * never in a URL, where logs and the browser history would keep it.
 */
export class ApiClient {
  constructor(private readonly token: string) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = parseJson(text);
    if (!res.ok) throw new ApiFailure(res.status, apiErrorText(res.status, parsed));
    return parsed as T;
  }

  /**
   * GET /v1/events read through fetch, so the token goes in a header (EventSource cannot
   * send one). Resolves when the stream ends; `signal` ends it.
   */
  async stream(onChunk: (text: string) => void, signal: AbortSignal): Promise<void> {
    const res = await fetch('/v1/events', { headers: { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' }, signal });
    if (!res.ok || !res.body) throw new ApiFailure(res.status, apiErrorText(res.status, await res.json().catch(() => undefined)));
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onChunk(value);
    }
  }
}

/** The body as JSON, or undefined for an empty or non-JSON body (a proxy's HTML error page). */
function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
