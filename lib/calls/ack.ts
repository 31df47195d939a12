import type Srf from 'drachtio-srf';

/**
 * Resolves true on the ACK of a 200 the server sent (in third-party call control the
 * answer comes in it, RFC 3725 4.1), false if the dialog ends first or no ACK comes
 * within Timer H's 64*T1 (RFC 3261 17.2.1: 32 s with the default T1).
 */
export function awaitAck(dialog: Srf.Dialog, timeoutMs = 32000): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    dialog.once('ack', () => {
      clearTimeout(timer);
      resolve(true);
    });
    dialog.once('destroy', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
