import type { SipMessage } from '../sip/message';

/** Where a message came from or goes to. `connId` pins a stream transport connection. */
export interface Peer {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
  connId?: number;
}

export interface LocalAddress {
  address: string;
  port: number;
}

export interface TransportEvents {
  /** one framed message (or a datagram) with the bytes it was made of */
  onData(buf: Buffer, peer: Peer): void;
  /** framing was lost or a datagram could not be used: counted and logged */
  onBadInput(reason: string, peer: Peer): void;
  /**
   * a stream message over the size bound whose head could be read: the request gets 513
   * (RFC 3261 21.5.7) on its connection before the transport closes it
   */
  onOversized?(head: SipMessage, peer: Peer): void;
}

export interface Transport {
  readonly name: 'udp' | 'tcp';
  readonly local: LocalAddress;
  send(buf: Buffer, peer: Peer): Promise<Peer>;
  close(): Promise<void>;
}
