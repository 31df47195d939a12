import { newId } from '../sip/ids';
import type { SipMessage } from '../sip/message';
import type { Peer } from '../transport/types';
import { StateMachine } from './state-machine';
import { TimerSet, type TimerConfig } from './timers';

export interface TxnEnv {
  timers: TimerConfig;
  send(buf: Buffer, peer: Peer): void;
  terminated(txn: ServerTransaction): void;
}

/*
 * RFC 3261 17.2.1 INVITE server transaction, with RFC 6026's Accepted state:
 *
 *            |INVITE (send 100)
 *            V
 *       Proceeding --1xx--> (send)
 *        |      |
 *    2xx |      | 300-699 (send, timer G on UDP, timer H)
 *        V      V
 *   Accepted   Completed --ACK--> Confirmed --timer I--> Terminated
 *        |      |
 *  timer L      timer H (no ACK) --> Terminated
 */
type InviteState = 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';
const INVITE_MACHINE: Record<InviteState, InviteState[]> = {
  proceeding: ['accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

/*
 * RFC 3261 17.2.2 non-INVITE server transaction:
 *   Trying --1xx--> Proceeding --final--> Completed --timer J--> Terminated
 *   Trying --final--> Completed
 */
type NonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';
const NON_INVITE_MACHINE: Record<NonInviteState, NonInviteState[]> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export abstract class ServerTransaction {
  readonly id = newId();
  readonly reliable: boolean;
  protected readonly timers = new TimerSet();
  protected last?: Buffer;
  /** the To tag this transaction's responses carry (chosen once, RFC 3261 8.2.6.2) */
  toTag?: string;
  finalStatus = 0;
  private deadline?: { ms: number; onExpire: () => void };

  constructor(readonly key: string, readonly request: SipMessage, readonly requestBytes: number,
    readonly peer: Peer, protected readonly env: TxnEnv) {
    this.reliable = peer.transport !== 'udp';
  }

  abstract get done(): boolean;
  abstract receiveRetransmission(): void;
  abstract sendResponse(status: number, buf: Buffer): void;
  abstract terminate(): void;

  /**
   * The safety net for a request handed to an app (issue #13): if no final response is
   * sent within `ms`, `onExpire` answers it so the transaction ends. A final response
   * stops the timer; so does the end of the transaction.
   */
  armDeadline(ms: number, onExpire: () => void): void {
    this.deadline = { ms, onExpire };
    this.timers.start('deadline', ms, () => {
      if (!this.done) onExpire();
    });
  }

  /**
   * A provisional the app sent shows it is alive: the deadline starts over, as a proxy's
   * Timer C does on every provisional (RFC 3261 16.7 step 2), so a call that rings
   * longer than the bound (and says so) is not cut.
   */
  protected extendDeadline(status: number): void {
    if (status > 100 && this.deadline) this.armDeadline(this.deadline.ms, this.deadline.onExpire);
  }

  protected resendLast(): void {
    if (this.last) this.env.send(this.last, this.peer);
  }

  protected end(): void {
    this.timers.clear();
    this.env.terminated(this);
  }
}

export class ServerInviteTransaction extends ServerTransaction {
  private readonly fsm = new StateMachine<InviteState>('proceeding', INVITE_MACHINE, 'INVITE server transaction');
  /** set by the core when an ACK for a non-2xx final arrives */
  onTimeoutNoAck?: () => void;

  get state(): InviteState {
    return this.fsm.state;
  }

  get done(): boolean {
    return !this.fsm.is('proceeding');
  }

  receiveRetransmission(): void {
    // RFC 3261 17.2.1: a retransmitted INVITE gets the most recent provisional or final again
    if (this.fsm.is('proceeding', 'completed')) this.resendLast();
  }

  /** RFC 3261 17.2.1: ACK for a non-2xx final response, absorbed here. */
  receiveAck(): void {
    if (!this.fsm.is('completed')) return;
    this.fsm.to('confirmed');
    this.timers.stop('G');
    this.timers.stop('H');
    this.timers.start('I', this.reliable ? 0 : this.env.timers.t4, () => this.terminate());
  }

  sendResponse(status: number, buf: Buffer): void {
    if (!this.fsm.is('proceeding')) throw new Error(`INVITE server transaction: response ${status} after final`);
    this.last = buf;
    this.env.send(buf, this.peer);
    if (status < 200) {
      this.extendDeadline(status);
      return;
    }
    this.finalStatus = status;
    this.timers.stop('deadline');
    const { t1, t2, challengeH } = this.env.timers;
    if (status < 300) {
      // RFC 6026 8.5: Accepted absorbs retransmitted INVITEs; the core retransmits the 2xx
      this.fsm.to('accepted');
      this.timers.start('L', 64 * t1, () => this.terminate());
      return;
    }
    this.fsm.to('completed');
    if (!this.reliable) {
      const retransmit = (interval: number): void => {
        this.timers.start('G', interval, () => {
          this.resendLast();
          retransmit(Math.min(2 * interval, t2));
        });
      };
      retransmit(t1);
    }
    // RFC 3261 17.2.1: Timer H (64*T1) bounds how long a non-2xx final is retransmitted
    // (Timer G) while no ACK comes. A 401/407 challenge is the answer an unauthenticated
    // sender gets; one that never ACKs (a spoofed source, a flood) would otherwise draw ~10
    // retransmissions over 32 s per request: an amplifier pointed at whoever the source
    // address names. A real UAC ACKs the first copy it gets, and if all copies are lost
    // its own INVITE retransmissions still reach us within Timer H or start over. So for
    // challenges over UDP Timer H is cut to `challengeH` (4 s: 3 retransmissions at T1=500).
    const challenge = !this.reliable && (status === 401 || status === 407);
    this.timers.start('H', challenge ? Math.min(challengeH, 64 * t1) : 64 * t1, () => {
      this.onTimeoutNoAck?.();
      this.terminate();
    });
  }

  terminate(): void {
    if (this.fsm.is('terminated')) return;
    this.fsm.to('terminated');
    this.end();
  }
}

export class ServerNonInviteTransaction extends ServerTransaction {
  private readonly fsm = new StateMachine<NonInviteState>('trying', NON_INVITE_MACHINE, 'non-INVITE server transaction');

  get state(): NonInviteState {
    return this.fsm.state;
  }

  get done(): boolean {
    return this.fsm.is('completed', 'terminated');
  }

  receiveRetransmission(): void {
    // RFC 3261 17.2.2: in Trying a retransmission is absorbed silently
    if (this.fsm.is('proceeding', 'completed')) this.resendLast();
  }

  sendResponse(status: number, buf: Buffer): void {
    if (this.done) throw new Error(`non-INVITE server transaction: response ${status} after final`);
    this.last = buf;
    this.env.send(buf, this.peer);
    if (status < 200) {
      if (this.fsm.is('trying')) this.fsm.to('proceeding');
      return;
    }
    this.finalStatus = status;
    this.timers.stop('deadline');
    this.fsm.to('completed');
    this.timers.start('J', this.reliable ? 0 : 64 * this.env.timers.t1, () => this.terminate());
  }

  terminate(): void {
    if (this.fsm.is('terminated')) return;
    this.fsm.to('terminated');
    this.end();
  }
}
