import type Srf from 'drachtio-srf';

/** `res.send(status, reason, {headers})` (the reason phrase is typed in lib/sip/drachtio-srf.d.ts). */
export function respond(res: Srf.SrfResponse, status: number, reason?: string, headers?: Record<string, string>): void {
  res.send(status, reason, headers ? { headers } : undefined);
}
