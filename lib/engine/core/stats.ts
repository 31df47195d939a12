/** Counters the engine keeps; gauges are read live from the tables. */
export class Counters {
  messagesIn = 0;
  messagesOut = 0;
  parseErrors = 0;
  badInput = 0;
  retransmissionsIn = 0;
  retransmissionsOut = 0;
  rejectedRequests = 0;
  droppedResponses = 0;
  sendErrors = 0;
  appFrames = 0;
  /** new requests dropped by the per-source rate limit */
  rateLimited = 0;
  /** new requests answered 503 because the server transaction table was full */
  overloaded = 0;
  /** app requests the engine answered itself because the app never did */
  appTimeouts = 0;
  /** ACKs the app asked to send outside any dialog of this engine, refused (not relayed) */
  appAcksRefused = 0;
}

export interface EngineStats {
  messagesIn: number;
  messagesOut: number;
  parseErrors: number;
  badInput: number;
  retransmissionsIn: number;
  retransmissionsOut: number;
  rejectedRequests: number;
  droppedResponses: number;
  sendErrors: number;
  appFrames: number;
  rateLimited: number;
  overloaded: number;
  appTimeouts: number;
  appAcksRefused: number;
  /** TCP connections refused at once by the per-source or total limit */
  tcpRefused: number;
  transactions: number;
  /** transactions still waiting for a final response */
  activeTransactions: number;
  serverTransactions: number;
  /** octets of the requests those hold (bounded by maxServerTransactionBytes) */
  serverTransactionBytes: number;
  clientTransactions: number;
  dialogs: number;
  appConnections: number;
  tcpConnections: number;
}
