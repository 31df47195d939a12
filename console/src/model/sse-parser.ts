/**
 * An incremental parser of text/event-stream (WHATWG HTML 9.2.6, "Interpreting an event
 * stream"), for a client that reads the stream through fetch (EventSource cannot send an
 * Authorization header). Fed chunks as they arrive; hands on each complete event. No DOM:
 * the console and the tests share it.
 */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** A line longer than this is no event of ours: the parser stops rather than buffer without end. */
export const MAX_LINE = 64 * 1024;

export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  constructor(private readonly onEvent: (e: SseEvent) => void) {}

  /** Feeds decoded text; throws when a line passes MAX_LINE. */
  push(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const nl = this.buffer.indexOf('\n', start);
      if (nl === -1) break;
      let line = this.buffer.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.line(line);
      start = nl + 1;
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > MAX_LINE) throw new Error(`event stream line over ${MAX_LINE} characters`);
  }

  private line(line: string): void {
    if (line === '') {
      // a blank line dispatches the event; one without data is no event (9.2.6)
      if (this.data.length > 0) this.onEvent({ event: this.event || 'message', data: this.data.join('\n'), id: this.id });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
  }
}
