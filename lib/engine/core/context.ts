import type winston from 'winston';
import type { DialogTable } from '../dialog/dialog-table';
import type { SipMessage } from '../sip/message';
import type { ClientTxnEnv } from '../transaction/client-transactions';
import type { TxnEnv } from '../transaction/server-transactions';
import type { TimerConfig } from '../transaction/timers';
import type { TransactionLayer } from '../transaction/transaction-layer';
import type { Peer } from '../transport/types';
import type { AppConnection, AppServer } from '../wire/app-server';
import type { RouteToken } from './route-token';
import type { Counters } from './stats';

export interface ResolvedOptions {
  sipAddress: string;
  sipPort: number;
  /** the address written into Via, Contact and Record-Route (defaults to sipAddress) */
  advertisedAddress: string;
  timers: TimerConfig;
  maxMessage: number;
  supported: string[];
}

/** What the core's handlers share. Built once by the Engine. */
export interface EngineContext {
  opts: ResolvedOptions;
  log: winston.Logger;
  counters: Counters;
  txns: TransactionLayer;
  dialogs: DialogTable;
  apps: AppServer;
  serverEnv: TxnEnv;
  clientEnv: ClientTxnEnv;
  /** proves a Route naming us came from our own Record-Route (RFC 3261 16.6 step 4) */
  routeToken: RouteToken;
  /** send bytes; failures are counted, never thrown */
  sendRaw(buf: Buffer, peer: Peer): void;
  /** answer a request statelessly (no transaction: parse errors, 481 to stray ACK-less requests) */
  sendStateless(res: SipMessage, peer: Peer): void;
  /**
   * where a URI's request goes (RFC 3261 8.1.2, without RFC 3263 DNS: A/AAAA only);
   * rejects with DeniedDestinationError for a destination the engine must not reach
   */
  resolve(uri: string): Promise<Peer>;
  /** `<sip:addr:port;transport=tcp>` for this transport */
  contact(transport: Peer['transport']): string;
  /** `addr:port` of this engine for Via sent-by */
  sentBy(): string;
  app(id: number): AppConnection | undefined;
  /** drachtio CDR events to the apps that routed `cdr:<event>` */
  cdr(event: 'attempt' | 'start' | 'stop', source: 'network' | 'application', msg: SipMessage, detail?: string): void;
}
