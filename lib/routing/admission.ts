import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import { respond } from '../sip/respond';

type Handler = (req: Srf.SrfRequest, res: Srf.SrfResponse) => Promise<void>;

/**
 * Overload control for new requests (RFC 3261 21.5.4, RFC 7339 3): at most `limit`
 * requests are being worked on at once (authentication, Redis, call set-up); past that a
 * new one is answered 503 with Retry-After at once, costing no Redis command and no
 * memory. Without it a flood the server cannot keep up with queues work without bound
 * (bench:abuse grew the server past 1.7 GB on Redis timeouts) and every caller suffers.
 */
export class Admission {
  private inFlight = 0;
  private refused = 0;

  constructor(private readonly limit: number, private readonly logger: Logger) {}

  get pending(): number {
    return this.inFlight;
  }

  get rejected(): number {
    return this.refused;
  }

  /** Wraps a handler: counted while it runs; its failure is logged and answered 500, never thrown. */
  guard(what: string, handler: Handler): (req: Srf.SrfRequest, res: Srf.SrfResponse) => void {
    return (req, res) => {
      if (this.inFlight >= this.limit) {
        this.refused++;
        respond(res, 503, 'Service Unavailable - Overloaded', { 'Retry-After': '5' });
        return;
      }
      this.inFlight++;
      let work: Promise<void>;
      try {
        work = handler(req, res);
      } catch (err) {
        work = Promise.reject(err as Error);
      }
      work.catch((err: Error) => {
        this.logger.error(`${what} failed`, { error: err.stack, callId: req.get('Call-ID') });
        if (!res.finalResponseSent) res.send(500);
      }).finally(() => this.inFlight--);
    };
  }
}
