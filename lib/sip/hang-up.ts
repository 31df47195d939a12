import type Srf from 'drachtio-srf';

/**
 * BYE to a party (or the final NOTIFY of a subscription), never throwing. srf's
 * `destroy()` returns a promise that rejects when the engine no longer has the dialog
 * (ENODIALOG: the far end's BYE or the engine's no-ACK teardown, RFC 3261 13.3.1.4,
 * crossed ours); nobody awaits a hang-up, so an unhandled rejection there stopped the
 * whole server (found by bench:abuse's fuzzer). Either way the dialog is over.
 */
export function hangUp(dialog: Srf.Dialog | undefined): void {
  if (!dialog) return;
  try {
    void Promise.resolve(dialog.destroy()).catch(() => undefined);
  } catch {
    // srf throws synchronously when its connection to the engine is gone: the dialog is too
  }
}

/** False once srf has seen the dialog end (a BYE received, or our own destroy). */
export function isConnected(dialog: Srf.Dialog): boolean {
  return dialog.connected !== false;
}

/**
 * CANCEL of an INVITE this platform sent (RFC 3261 9.1), never throwing. srf throws
 * synchronously when the transaction is already final (the 200 crossed the CANCEL) or
 * its connection to the engine is gone; from a timer that throw would be uncaught.
 */
export function cancelInvite(invite: Srf.SrfRequest | undefined, reason?: string): void {
  if (!invite) return;
  try {
    invite.cancel(reason ? { headers: { Reason: reason } } : undefined);
  } catch {
    // already final, or no engine: nothing left to cancel
  }
}
