import { newId } from '../sip/ids';
import type { SipMessage } from '../sip/message';
import type { Peer } from '../transport/types';
import { StateMachine } from './state-machine';
import { TimerSet, type TimerConfig } from './timers';

export interface ClientTxnEnv {
  timers: TimerConfig;
  send(buf: Buffer, peer: Peer): void;
  terminated(txn: ClientTransaction): void;
}

export interface ClientTxnUser {
  /** a response the TU must see (not retransmissions the transaction absorbs) */
  onResponse(msg: SipMessage, raw: Buffer, peer: Peer): void;
  /** timer B or F fired, or the transport failed: the TU gets a 408/503 */
  onTimeout(): void;
}

/*
 * RFC 3261 17.1.1 INVITE client transaction, with RFC 6026's Accepted state:
 *
 *   Calling --1xx--> Proceeding --2xx--> Accepted --timer M--> Terminated
 *     |  timer A retransmits (UDP)   |
 *     |  timer B --> Terminated      +--300-699 (send ACK)--> Completed --timer D--> Terminated
 *     +--2xx--> Accepted / --300-699--> Completed
 */
type InviteState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';
const INVITE_MACHINE: Record<InviteState, InviteState[]> = {
  calling: ['proceeding', 'accepted', 'completed', 'terminated'],
  proceeding: ['accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['terminated'],
  terminated: [],
};

/*
 * RFC 3261 17.1.2 non-INVITE client transaction:
 *   Trying --1xx--> Proceeding --final--> Completed --timer K--> Terminated
 *   timer E retransmits (UDP), timer F --> Terminated (timeout)
 */
type NonInviteState = 'trying' | 'proceeding' | 'completed' | 'terminated';
const NON_INVITE_MACHINE: Record<NonInviteState, NonInviteState[]> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export abstract class ClientTransaction {
  readonly id: string;
  readonly reliable: boolean;
  protected readonly timers = new TimerSet();
  user?: ClientTxnUser;
  /** the TU saw a final response already (forked or retransmitted 2xx come again) */
  isFinalReported = false;

  constructor(readonly key: string, readonly request: SipMessage, protected readonly raw: Buffer,
    public peer: Peer, protected readonly env: ClientTxnEnv, id?: string) {
    this.id = id ?? newId();
    this.reliable = peer.transport !== 'udp';
  }

  abstract start(): void;
  abstract receive(msg: SipMessage, raw: Buffer, peer: Peer): void;
  abstract get isFinal(): boolean;

  protected timeout(): void {
    this.user?.onTimeout();
    this.terminate();
  }

  abstract terminate(): void;
}

export class ClientInviteTransaction extends ClientTransaction {
  private readonly fsm = new StateMachine<InviteState>('calling', INVITE_MACHINE, 'INVITE client transaction');
  private ack?: Buffer;
  /** set by the core: builds the ACK for a non-2xx final (RFC 3261 17.1.1.3) */
  buildAck?: (response: SipMessage) => Buffer;
  /** true once any provisional arrived: a CANCEL may now be sent (RFC 3261 9.1) */
  provisionalSeen = false;
  onProvisional?: () => void;

  get state(): InviteState {
    return this.fsm.state;
  }

  get isFinal(): boolean {
    return this.fsm.is('accepted', 'completed', 'terminated');
  }

  start(): void {
    const { t1 } = this.env.timers;
    this.env.send(this.raw, this.peer);
    if (!this.reliable) {
      const retransmit = (interval: number): void => {
        this.timers.start('A', interval, () => {
          if (!this.fsm.is('calling')) return;
          this.env.send(this.raw, this.peer);
          retransmit(2 * interval);
        });
      };
      retransmit(t1);
    }
    this.timers.start('B', 64 * t1, () => {
      if (this.fsm.is('calling')) this.timeout();
    });
  }

  receive(msg: SipMessage, raw: Buffer, peer: Peer): void {
    const status = msg.status;
    const { t1 } = this.env.timers;
    switch (this.fsm.state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          if (this.fsm.is('calling')) this.fsm.to('proceeding');
          this.timers.stop('A');
          this.timers.stop('B');
          const first = !this.provisionalSeen;
          this.provisionalSeen = true;
          this.user?.onResponse(msg, raw, peer);
          if (first) this.onProvisional?.();
        } else if (status < 300) {
          this.fsm.to('accepted');
          this.timers.stop('A');
          this.timers.stop('B');
          this.timers.start('M', 64 * t1, () => this.terminate());
          this.user?.onResponse(msg, raw, peer);
        } else {
          this.fsm.to('completed');
          this.timers.stop('A');
          this.timers.stop('B');
          this.sendAck(msg);
          // RFC 3261 17.1.1.2: timer D is at least 32 s on UDP; it scales with T1 (64*T1 = 32 s by default)
          this.timers.start('D', this.reliable ? 0 : Math.max(64 * t1, 1000), () => this.terminate());
          this.user?.onResponse(msg, raw, peer);
        }
        return;
      case 'accepted':
        // RFC 6026 7.2: retransmitted (or forked) 2xx go to the TU, which re-sends its ACK
        if (status >= 200 && status < 300) this.user?.onResponse(msg, raw, peer);
        return;
      case 'completed':
        if (status >= 300) this.sendAck(msg);
        return;
      case 'terminated':
        return;
    }
  }

  private sendAck(msg: SipMessage): void {
    this.ack ??= this.buildAck?.(msg);
    if (this.ack) this.env.send(this.ack, this.peer);
  }

  terminate(): void {
    if (this.fsm.is('terminated')) return;
    this.fsm.to('terminated');
    this.timers.clear();
    this.env.terminated(this);
  }
}

export class ClientNonInviteTransaction extends ClientTransaction {
  private readonly fsm = new StateMachine<NonInviteState>('trying', NON_INVITE_MACHINE, 'non-INVITE client transaction');

  get state(): NonInviteState {
    return this.fsm.state;
  }

  get isFinal(): boolean {
    return this.fsm.is('completed', 'terminated');
  }

  start(): void {
    const { t1, t2 } = this.env.timers;
    this.env.send(this.raw, this.peer);
    if (!this.reliable) {
      const retransmit = (interval: number): void => {
        this.timers.start('E', interval, () => {
          if (this.isFinal) return;
          this.env.send(this.raw, this.peer);
          // RFC 3261 17.1.2.2: doubling up to T2, and T2 once a provisional arrived
          retransmit(this.fsm.is('proceeding') ? t2 : Math.min(2 * interval, t2));
        });
      };
      retransmit(t1);
    }
    this.timers.start('F', 64 * t1, () => {
      if (!this.isFinal) this.timeout();
    });
  }

  receive(msg: SipMessage, raw: Buffer, peer: Peer): void {
    if (this.isFinal) return;
    if (msg.status < 200) {
      if (this.fsm.is('trying')) this.fsm.to('proceeding');
      this.user?.onResponse(msg, raw, peer);
      return;
    }
    this.fsm.to('completed');
    this.timers.stop('E');
    this.timers.stop('F');
    this.timers.start('K', this.reliable ? 0 : this.env.timers.t4, () => this.terminate());
    this.user?.onResponse(msg, raw, peer);
  }

  terminate(): void {
    if (this.fsm.is('terminated')) return;
    this.fsm.to('terminated');
    this.timers.clear();
    this.env.terminated(this);
  }
}
