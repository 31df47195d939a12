import Srf from 'drachtio-srf';

type Handler = (req: Srf.SrfRequest, res: Srf.SrfResponse) => void;

/**
 * The Srf object as drachtio-srf 5.x really is (srf.js), where its declarations fall
 * short; with lib/sip/drachtio-srf.d.ts (its requests, responses and dialogs) this is the
 * one typed boundary around srf. The class itself is an `export =` target that a module
 * augmentation cannot reach, hence an intersection and one constructor.
 */
export interface SrfExtras {
  // srf.js: one registration method per SIP method (`methods.forEach`), like invite()
  register(handler: Handler): void;
  options(handler: Handler): void;
  subscribe(handler: Handler): void;
  publish(handler: Handler): void;
  // srf.js connect(): the agent's 'close' is re-emitted when the engine connection drops
  on(event: 'close', listener: () => void): this;
  // srf.js createUAC(uri, opts, {cbRequest, cbProvisional}): cbRequest gets (err, req)
  createUAC(uri: string, opts: Srf.CreateUACOptions, progress: Srf.ProgressCallbacks): Promise<Srf.Dialog>;
  // srf.js createUAS: a non-INVITE (SUBSCRIBE) dialog carries no SDP
  createUAS(req: Srf.SrfRequest, res: Srf.SrfResponse, opts: { headers?: Record<string, string> }): Promise<Srf.Dialog>;
}

export type SrfApp = Srf & SrfExtras;

/** A new srf application object, typed as it behaves. */
export function createSrf(): SrfApp {
  return new Srf() as SrfApp;
}
