import type Srf from 'drachtio-srf';

type Send = (status: number, reason?: string, opts?: { headers?: Record<string, string>; body?: string }) => void;

/** `res.send(status, reason, {headers})`: srf takes a reason phrase its declarations leave out. */
export function respond(res: Srf.SrfResponse, status: number, reason?: string, headers?: Record<string, string>): void {
  (res.send as unknown as Send).call(res, status, reason, headers ? { headers } : undefined);
}
