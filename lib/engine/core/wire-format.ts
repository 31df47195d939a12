import type { Peer } from '../transport/types';

/** `HH:MM:SS.uuuuuu`, the time field drachtio puts in its messages. */
export function wireTime(): string {
  const d = new Date();
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds() * 1000, 6)}`;
}

/**
 * A request or response from the network:
 * `sip|network|<bytes>|<transport>|<addr>|<port>|<time>|<txnId>|<dialogId>|[<localAddr>|<localPort>|]`
 * (the local address only on out-of-dialog requests; the transport empty on ACKs).
 */
export function networkLeader(bytes: number, transport: string, peer: Peer, txnId: string, dialogId: string,
  local?: { address: string; port: number }): string {
  const base = `sip|network|${bytes}|${transport}|${peer.address}|${peer.port}|${wireTime()}|${txnId}|${dialogId}|`;
  return local ? `${base}${local.address}|${local.port}|` : base;
}

/** Echo of a response the app sent: `OK|application|<bytes>|<transport>|<peer>|<port>|<time>|<txnId>|<dialogId>||Msg sent:|` */
export function sentResponseLeader(bytes: number, transport: string, peer: Peer, txnId: string, dialogId: string): string {
  return `OK|application|${bytes}|${transport}|${peer.address}|${peer.port}|${wireTime()}|${txnId}|${dialogId}||Msg sent:|`;
}

/** Echo of a request the app sent: `OK|application|<bytes>|<transport>|<localAddr>|<localPort>|<time>|<txnId>|Msg sent:|` */
export function sentRequestLeader(bytes: number, transport: string, local: { address: string; port: number }, txnId: string): string {
  return `OK|application|${bytes}|${transport}|${local.address}|${local.port}|${wireTime()}|${txnId}|Msg sent:|`;
}
