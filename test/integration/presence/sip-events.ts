import type { SippResult } from '../../support/sipp';

/** The requests of `method` a sipp phone received, retransmissions left out. */
export const received = (r: SippResult, method: string): string[] =>
  r.events.filter((e) => e.dir === 'received' && e.method === method && !e.retransmission).map((e) => e.message);

/** The final statuses a sipp phone received, digest challenges (407) left out. */
export const finals = (r: SippResult): number[] =>
  r.events.filter((e) => e.dir === 'received' && e.status !== undefined && e.status >= 200 && e.status !== 407 && !e.retransmission)
    .map((e) => e.status ?? 0);

/** A header's value in a raw SIP message (first occurrence, long form only). */
export const header = (msg: string, name: string): string | undefined =>
  msg.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim();
