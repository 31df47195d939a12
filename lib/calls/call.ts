import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import type { CallParty, CallRecord } from '../store';

/*
 * A call's life (one B2BUA call: the caller's UAS dialog, the callee's UAC dialog):
 *
 *   routing --first 18x--> ringing --2xx from a callee--> answered --BYE, API hangup--> ended
 *      |                     |
 *      +---------------------+--CANCEL, failure, no answer--> ended
 */
export type CallState = 'routing' | 'ringing' | 'answered' | 'ended';
const LEGAL: Record<CallState, CallState[]> = {
  routing: ['ringing', 'answered', 'ended'],
  ringing: ['answered', 'ended'],
  answered: ['ended'],
  ended: [],
};

export type Side = 'caller' | 'callee';

export function opposite(side: Side): Side {
  return side === 'caller' ? 'callee' : 'caller';
}

/** One live call on this instance: its parties, its SIP dialogs and its media session. */
export class Call {
  private current: CallState = 'routing';
  readonly createdAt = Date.now();
  answeredAt?: number;
  uas?: Srf.Dialog;
  uac?: Srf.Dialog;
  /** who holds the call, since when (ms) */
  readonly held: Partial<Record<Side, number>> = {};
  endReason?: string;

  constructor(
    readonly id: string,
    readonly tenant: string,
    readonly caller: CallParty,
    readonly callee: CallParty,
    /** rtpengine's call-id: the caller leg's Call-ID, until a party is re-targeted into another session */
    public mediaCallId: string,
    readonly instanceId: string,
    readonly log: Logger,
  ) {}

  get state(): CallState {
    return this.current;
  }

  /** The state now; unlike `state`, never narrowed by an earlier check (it changes across awaits). */
  is(state: CallState): boolean {
    return this.current === state;
  }

  /** Moves to `next`; false (and nothing changes) if that is not a legal step from here. */
  to(next: CallState): boolean {
    if (!LEGAL[this.current].includes(next)) return false;
    this.current = next;
    if (next === 'answered') this.answeredAt = Date.now();
    return true;
  }

  dialog(side: Side): Srf.Dialog | undefined {
    return side === 'caller' ? this.uas : this.uac;
  }

  setDialog(side: Side, d: Srf.Dialog | undefined): void {
    if (side === 'caller') this.uas = d;
    else this.uac = d;
  }

  setParty(side: Side, p: CallParty): void {
    Object.assign(side === 'caller' ? this.caller : this.callee, p);
  }

  tag(side: Side): string {
    return side === 'caller' ? this.caller.tag : this.callee.tag;
  }

  record(): CallRecord {
    return {
      id: this.id,
      tenant: this.tenant,
      state: this.current === 'routing' ? 'ringing' : this.current,
      caller: this.caller,
      callee: this.callee,
      mediaCallId: this.mediaCallId,
      createdAt: this.createdAt,
      answeredAt: this.answeredAt,
      instanceId: this.instanceId,
      held: Object.keys(this.held).length > 0 ? { ...this.held } : undefined,
    };
  }
}

/** Typed delegates features implement to follow calls (DESIGN: call events). */
export interface CallListener {
  onRinging?(call: Call): void;
  onAnswered?(call: Call): void;
  onHeld?(call: Call, by: Side): void;
  onResumed?(call: Call, by: Side): void;
  /** another user took a side of the answered call (a transfer, a retrieve from park) */
  onPartyChanged?(call: Call, side: Side): void;
  /** a REFER inside the call; return true when the listener took it (and answered it) */
  onRefer?(call: Call, by: Side, req: Srf.SrfRequest, res: Srf.SrfResponse): boolean | Promise<boolean>;
  onEnded?(call: Call, reason: string): void;
}
