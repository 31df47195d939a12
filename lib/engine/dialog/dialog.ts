import type { Peer } from '../transport/types';

/**
 * Dialog state (RFC 3261 12): identified by Call-ID and the two tags; `id` is the
 * handle drachtio gives applications: `<Call-ID>;from-tag=<From tag of the INVITE>`.
 */
export interface Dialog {
  id: string;
  role: 'uas' | 'uac';
  /** the method that created it: an INVITE dialog ends with BYE, a SUBSCRIBE dialog with its last NOTIFY (RFC 6665 4.4.1) */
  usage: 'INVITE' | 'SUBSCRIBE';
  state: 'early' | 'confirmed';
  callId: string;
  localTag: string;
  remoteTag: string;
  /** our From/To value in requests we send (with our tag) */
  localUri: string;
  /** the peer's From/To value (with its tag) */
  remoteUri: string;
  localSeq: number;
  remoteSeq: number;
  remoteTarget: string;
  /** Route values for requests we send, in order (RFC 3261 12.1.1 / 12.1.2) */
  routeSet: string[];
  /** where in-dialog requests go when the target cannot be used as is (NAT, TCP reuse) */
  fixedPeer?: Peer;
  /** the application connection that owns the dialog */
  owner: number;
  /** txn id of the dialog-creating INVITE: the initial ACK reaches the app under it */
  inviteTxnId: string;
  /** CSeq of the INVITE whose 2xx our next ACK acknowledges (UAC side) */
  ackCseq: number;
  /** UAS side: the 2xx being retransmitted until its ACK (RFC 3261 13.3.1.4) */
  pending2xx?: { cseq: number; txnId: string; stop(): void };
  /** UAC side: the last ACK sent, re-sent on a retransmitted 2xx (RFC 3261 13.2.2.4) */
  lastAck?: { cseq: number; buf: Buffer; peer: Peer };
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}
