import Srf from 'drachtio-srf';

export interface EngineEndpoint {
  adminPort: number;
  secret: string;
}

/**
 * A drachtio-srf application connected to an engine; resolves once authenticated.
 * `setup` registers handlers before connecting, so their routes go out with the
 * connection and no request can arrive before the route is known.
 */
export async function connectSrf(engine: EngineEndpoint, setup: (srf: Srf) => void = () => undefined, host = '127.0.0.1'): Promise<Srf> {
  const srf = new Srf();
  setup(srf);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('srf did not connect within 5 s')), 5000);
    srf.on('connect', (err: Error) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
    srf.on('error', () => { /* reconnects on its own; connect errors surface through the timer */ });
    void srf.connect({ host, port: engine.adminPort, secret: engine.secret });
  });
  return srf;
}

export function disconnectSrf(srf: Srf): void {
  srf.removeAllListeners('error');
  srf.on('error', () => undefined);
  srf.disconnect();
}

type Handler = (req: Srf.SrfRequest, res: Srf.SrfResponse) => void;

/** srf's method-named route registrations, which its type declarations leave out. */
export interface SrfHandlers {
  invite(h: Handler): void;
  register(h: Handler): void;
  options(h: Handler): void;
  message(h: Handler): void;
  subscribe(h: Handler): void;
  refer(h: Handler): void;
  notify(h: Handler): void;
  info(h: Handler): void;
  bye(h: Handler): void;
}

export function handlers(srf: Srf): SrfHandlers {
  return srf as unknown as SrfHandlers;
}

export interface InDialogRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string;
}

/** `dialog.request(...)`, whose declared parameter type is a full SrfRequest. */
export function dialogRequest(d: Srf.Dialog, opts: InDialogRequest): Promise<Srf.SrfResponse> {
  return (d.request as unknown as (o: InDialogRequest) => Promise<Srf.SrfResponse>).call(d, opts);
}
