import type { CallChange } from '../bus/call-events';

/**
 * One event of GET /v1/events as its clients get it: the SSE event name, the tenant it
 * belongs to (a tenant token hears only its own), and the JSON data.
 */
export interface LiveEvent {
  event: string;
  tenant: string;
  data: Record<string, unknown>;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * A call change in the shape of GET /v1/calls (ISO times, parties as objects), so a
 * client keeps one model for the list it fetched and the changes it hears.
 */
export function callChangeEvent(c: CallChange): LiveEvent {
  const held = c.heldCaller !== undefined || c.heldCallee !== undefined ? { caller: iso(c.heldCaller), callee: iso(c.heldCallee) } : undefined;
  return {
    event: 'call',
    tenant: c.tenant,
    data: {
      change: c.kind, id: c.id, tenant: c.tenant, state: c.state, caller: { user: c.caller }, callee: { user: c.callee },
      instanceId: c.instanceId, createdAt: iso(c.createdAt), answeredAt: iso(c.answeredAt), held, reason: c.reason,
    },
  };
}

/**
 * A bus event some feature relays to consoles (Feature.liveTopics), e.g. a park slot
 * taken or freed. Undefined when its body names no tenant: nobody could be told it safely.
 */
export function relayedEvent(topic: string, body: unknown): LiveEvent | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const data = body as Record<string, unknown>;
  if (typeof data.tenant !== 'string' || data.tenant.length === 0) return undefined;
  return { event: topic, tenant: data.tenant, data };
}

/**
 * The event on the wire (WHATWG HTML 9.2.6, "Interpreting an event stream"): the name and
 * the id on their own lines, the data as one line of JSON (JSON.stringify escapes every
 * line break, so no data line can end the event early).
 */
export function sseFrame(e: LiveEvent, id: number): string {
  return `id: ${id}\nevent: ${sseName(e.event)}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/** An event name is one line of visible ASCII; anything else would split or corrupt the frame. */
function sseName(name: string): string {
  let out = '';
  for (const ch of name.slice(0, 64)) {
    const c = ch.charCodeAt(0);
    out += c > 0x20 && c < 0x7f ? ch : '_';
  }
  return out || 'message';
}

/** A comment line: ignored by clients, it keeps proxies and NATs from closing an idle stream. */
export const SSE_HEARTBEAT = ': heartbeat\n\n';
