import { GuardError, int, isPlainObject, obj, oneOf, optional, str, type Guard } from './guards';

/**
 * The instance bus's wire format: one JSON object per pub/sub message.
 *
 *   request  {kind:'request', id, op, args, from, to, deadline}   to one instance
 *   reply    {kind:'reply', id, from, to, result} | {..., error}   back to the asker
 *   event    {kind:'event', id, op, args, from, to:'*'}           to every instance
 *
 * `deadline` (ms since the epoch) is when the asker stops waiting: a request that reaches
 * its owner later (the owner was frozen, its queue was long) is dropped instead of acted
 * on, so an operation the client was told failed (503) does not happen behind its back.
 * Instances compare it with their own clock: they must keep time (NTP), as any SIP
 * platform's logs and CDRs already need.
 */

/** No message on the bus is larger (UTF-8 bytes); a larger one is refused by both ends. */
export const MAX_MESSAGE_BYTES = 16 * 1024;

/** Who a message is addressed to: an instance id, or '*' for an event. */
export const BROADCAST = '*';

export interface RequestEnvelope {
  kind: 'request';
  id: string;
  op: string;
  args: unknown;
  from: string;
  to: string;
  deadline: number;
}

/** What a failed operation carries back: a catalogued code, a message, and an HTTP status where one applies. */
export interface WireError {
  code: string;
  message: string;
  status?: number;
}

export interface ReplyEnvelope {
  kind: 'reply';
  id: string;
  from: string;
  to: string;
  result?: unknown;
  error?: WireError;
}

export interface EventEnvelope {
  kind: 'event';
  id: string;
  op: string;
  args: unknown;
  from: string;
  to: typeof BROADCAST;
}

export type Envelope = RequestEnvelope | ReplyEnvelope | EventEnvelope;

/** Message ids: randomUUID() from the sender, anything token-like from elsewhere. */
export const messageId = str({ max: 64, charset: 'token' });
/** Instance ids (INSTANCE_ID): visible ASCII, as an operator names pods and hosts. */
export const instanceId = str({ max: 128, charset: 'printable' });
/** Operation names: 'call.hangup', 'pickup.ring-for'. */
export const opName = str({ max: 64, charset: 'token' });

const wireError: Guard<WireError> = obj({
  code: str({ max: 64, charset: 'printable' }),
  message: str({ min: 0, max: 1024, charset: 'any' }),
  status: optional(int({ min: 100, max: 599 })),
});

const kinds = oneOf(['request', 'reply', 'event'] as const);
const deadline = int({ min: 0, max: Number.MAX_SAFE_INTEGER });

/** Why an incoming message was refused; `replyTo` is set when the sender can be told. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  constructor(message: string, readonly replyTo?: { id: string; from: string }) {
    super(message);
  }
}

/** The message as it goes on the wire; throws ProtocolError when it is over the size cap. */
export function encode(e: Envelope): string {
  const text = JSON.stringify(e);
  if (Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES) {
    throw new ProtocolError(`bus message of ${Buffer.byteLength(text, 'utf8')} bytes is over the ${MAX_MESSAGE_BYTES}-byte cap`);
  }
  return text;
}

/**
 * An incoming message, checked field by field. Throws ProtocolError for anything else:
 * not JSON, too large, an unknown kind, a missing or malformed field, an unknown field.
 * The op's own arguments are checked later, by the op's guard.
 */
export function decode(raw: string): Envelope {
  // length counts UTF-16 units, never fewer than the UTF-8 bytes' count / 3: a cheap first cut
  if (raw.length > MAX_MESSAGE_BYTES || Buffer.byteLength(raw, 'utf8') > MAX_MESSAGE_BYTES) {
    throw new ProtocolError(`bus message over the ${MAX_MESSAGE_BYTES}-byte cap`);
  }
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new ProtocolError('bus message is not JSON');
  }
  if (!isPlainObject(v)) throw new ProtocolError('bus message is not an object');
  // Who to tell, if the rest turns out malformed: only when both fields are well-formed.
  let replyTo: { id: string; from: string } | undefined;
  try {
    if (v.kind === 'request') replyTo = { id: messageId(v.id, 'id'), from: instanceId(v.from, 'from') };
  } catch {
    replyTo = undefined;
  }
  try {
    switch (kinds(v.kind, 'kind')) {
      case 'request':
        return requestShape(v, 'request');
      case 'reply':
        return { kind: 'reply', ...replyShape(v, 'reply') };
      case 'event':
        return { kind: 'event', ...eventShape(v, 'event') };
    }
  } catch (err) {
    if (err instanceof GuardError) throw new ProtocolError(err.message, replyTo);
    throw err;
  }
}

const present: Guard<unknown> = (v, at) => {
  if (v === undefined) throw new GuardError(`${at} is missing`);
  return v;
};

const requestShape = obj({
  kind: oneOf(['request'] as const), id: messageId, op: opName, args: present, from: instanceId, to: instanceId, deadline,
});

const replyShape: Guard<Omit<ReplyEnvelope, 'kind'>> = (v, at) => {
  const r = obj({
    kind: oneOf(['reply'] as const), id: messageId, from: instanceId, to: instanceId,
    result: optional(present), error: optional(wireError),
  })(v, at);
  if ((r.result === undefined) === (r.error === undefined)) throw new GuardError(`${at} must carry exactly one of result and error`);
  const { kind: _kind, ...rest } = r;
  return rest;
};

const eventShape = (v: unknown, at: string): Omit<EventEnvelope, 'kind'> => {
  const { kind: _kind, ...rest } = obj({ kind: oneOf(['event'] as const), id: messageId, op: opName, args: present, from: instanceId, to: oneOf([BROADCAST] as const) })(v, at);
  return rest;
};
