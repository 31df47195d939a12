import type { SippEvent, SippResult } from './sipp';

/**
 * What tests read from a sipp run's message trace: the call flow as arrows, and the final
 * status it received (the last one: a forward or a failover answers after earlier ones).
 */

/** `> INVITE`, `< 180`, ... without retransmissions */
export function callFlow(events: readonly SippEvent[]): string[] {
  return events.filter((e) => !e.retransmission).map((e) => `${e.dir === 'sent' ? '>' : '<'} ${e.status ?? e.method}`);
}

/** the last final response (2xx–6xx) the run received */
export function finalStatus(r: SippResult): number | undefined {
  return finalResponse(r)?.status;
}

/** the same response's status line, e.g. `SIP/2.0 403 Screening Failure (Terminating)` */
export function finalLine(r: SippResult): string {
  return finalResponse(r)?.firstLine ?? '';
}

function finalResponse(r: SippResult): SippEvent | undefined {
  return [...r.events].reverse().find((e) => e.dir === 'received' && (e.status ?? 0) >= 200);
}
