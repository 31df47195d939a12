import type { Logger } from 'winston';
import type { Call, CallListener } from '../calls/call';
import { defineEvent, type RequestBus } from './request-bus';
import { int, obj, oneOf, optional, str, type Guarded } from './guards';

/**
 * Call changes told to every instance (issue 20: the operator console shows the calls of
 * all instances live). The owner of a call publishes each change on the instance bus;
 * every instance's event stream (lib/api/event-stream.ts) relays what it hears to its
 * clients. Only what a console shows travels: no dialogs, no SDP.
 */
export const CALL_CHANGE_KINDS = ['created', 'answered', 'held', 'resumed', 'party', 'ended'] as const;
export type CallChangeKind = (typeof CALL_CHANGE_KINDS)[number];

const user = str({ max: 128, charset: 'any' });
const when = int({ min: 0, max: Number.MAX_SAFE_INTEGER });

export const callChanged = defineEvent('call.changed', obj({
  kind: oneOf(CALL_CHANGE_KINDS),
  id: str({ max: 256, charset: 'printable' }),
  tenant: str({ max: 253, charset: 'printable' }),
  state: oneOf(['ringing', 'answered', 'ended'] as const),
  caller: user,
  callee: user,
  instanceId: str({ max: 128, charset: 'printable' }),
  createdAt: when,
  answeredAt: optional(when),
  /** ms since the epoch each party has been holding */
  heldCaller: optional(when),
  heldCallee: optional(when),
  /** why it ended (kind 'ended') */
  reason: optional(str({ max: 128, charset: 'any' })),
}));

export type CallChange = Guarded<typeof callChanged.body>;

/** What a call is now, as the bus carries it. */
export function callChangeOf(call: Call, kind: CallChangeKind, reason?: string): CallChange {
  const r = call.record();
  return {
    kind, id: r.id, tenant: r.tenant, state: kind === 'ended' ? 'ended' : r.state, caller: r.caller.user, callee: r.callee.user,
    instanceId: r.instanceId, createdAt: r.createdAt, answeredAt: r.answeredAt, heldCaller: r.held?.caller, heldCallee: r.held?.callee,
    reason: reason?.slice(0, 128),
  };
}

/**
 * Publishes every change of this instance's calls on the bus; returns the undo. A
 * publish that fails (Redis away) is logged and the call goes on: the console misses a
 * change, the call does not.
 */
export function publishCallChanges(calls: { subscribe(l: CallListener): () => void }, bus: Pick<RequestBus, 'publish'>, logger: Logger): () => void {
  const send = (call: Call, kind: CallChangeKind, reason?: string): void => {
    bus.publish(callChanged, callChangeOf(call, kind, reason))
      .catch((err: Error) => logger.warn('call change not published', { callId: call.id, kind, error: err.message }));
  };
  return calls.subscribe({
    onRinging: (call) => send(call, 'created'),
    onAnswered: (call) => send(call, 'answered'),
    onHeld: (call) => send(call, 'held'),
    onResumed: (call) => send(call, 'resumed'),
    onPartyChanged: (call) => send(call, 'party'),
    onEnded: (call, reason) => send(call, 'ended', reason),
  });
}
