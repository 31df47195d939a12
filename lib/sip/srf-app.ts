import Srf from 'drachtio-srf';
import { guardEndedDialog } from './ended-dialog-guard';

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
  // srf.js createUAC with noAck (3pcc, RFC 3725): resolves at the 200 with its offer and
  // the ACK still to send (srf.js: `callback(null, {sdp, ack, destroy})`)
  createUAC(uri: string, opts: Srf.CreateUACOptions & { noAck: true }, progress?: Srf.ProgressCallbacks): Promise<Srf.UacAwaitingAck>;
  // srf.js createUAC(uri, opts, {cbRequest, cbProvisional}): cbRequest gets (err, req)
  createUAC(uri: string, opts: Srf.CreateUACOptions, progress?: Srf.ProgressCallbacks): Promise<Srf.Dialog>;
  // srf.js createUAS(req, res, opts, callback): the callback gets no dialog when it fails,
  // and is called a second time when a CANCEL crossed the 200 (lib/calls/answer.ts)
  createUAS(req: Srf.SrfRequest, res: Srf.SrfResponse, opts: Srf.CreateUASOptions,
    callback: (err: Error | null, dialog?: Srf.Dialog) => void): this;
  // srf.js createUAS: a non-INVITE (SUBSCRIBE) dialog carries no SDP
  createUAS(req: Srf.SrfRequest, res: Srf.SrfResponse, opts: { headers?: Record<string, string> }): Promise<Srf.Dialog>;
  // srf.js request(uri, opts): a request outside any dialog srf holds, resolved once sent
  // (the request as sent; its responses come as 'response' events)
  request(uri: string, opts: { method: Srf.SipMethod; headers?: Record<string, string>; body?: string; proxy?: string }): Promise<Srf.SrfRequest>;
}

/**
 * Our forms first: an intersection's call signatures are tried in the order of its
 * members, and srf's own (looser) createUAC would otherwise claim the noAck form.
 */
export type SrfApp = SrfExtras & Srf;

/**
 * srf's client side of the wire protocol (wire-protocol.js), reached through the
 * application (proto.js `client`, drachtio-agent.js `wp`): only what stopping needs.
 */
interface WireClient {
  closing?: boolean;
  reconnectVars?: { retryTimer?: NodeJS.Timeout | null };
}
interface SrfInternals {
  _app?: { client?: { wp?: WireClient } };
  /** srf.js addDialog(): every dialog srf holds passes here once */
  addDialog(dialog: Srf.Dialog): void;
}

/**
 * A new srf application object, typed as it behaves, whose dialogs answer 481 to a
 * request that crossed their end (ended-dialog-guard.ts) and whose `disconnect()` always
 * stops it. srf's own throws when the engine connection is already gone (drachtio-agent.js
 * asserts on the missing socket before it tells the wire protocol it is closing), and
 * the wire protocol then keeps trying to reconnect, with timers that keep the process
 * alive, to an engine nobody wants any more (a stop after drachtio-server died).
 */
export function createSrf(): SrfApp {
  const srf = new Srf() as SrfApp;
  const internals = srf as unknown as SrfInternals;
  const addDialog = internals.addDialog.bind(srf);
  internals.addDialog = (dialog) => {
    guardEndedDialog(dialog);
    addDialog(dialog);
  };
  const disconnect = srf.disconnect.bind(srf);
  srf.disconnect = () => {
    try {
      disconnect();
    } catch {
      const wp = internals._app?.client?.wp;
      if (!wp) return;
      wp.closing = true;
      if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
      if (wp.reconnectVars) wp.reconnectVars.retryTimer = null;
    }
  };
  return srf;
}

/**
 * The Srf object a piece of the platform was handed, typed as it behaves: every Srf is
 * an SrfApp at run time (the same srf.js class); only its declarations fall short.
 * The one place that says so, so that callers never cast.
 */
export function srfApp(srf: Srf): SrfApp {
  return srf as SrfApp;
}
