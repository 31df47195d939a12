import type Srf from 'drachtio-srf';

/**
 * In-dialog requests srf answers by itself when nobody listens (dialog.js handle():
 * INFO, REFER, OPTIONS, MESSAGE, PUBLISH and UPDATE a tick later, NOTIFY at once), all
 * with 200.
 */
const SELF_ANSWERED = ['info', 'refer', 'options', 'message', 'publish', 'update', 'notify'] as const;

/** The part of srf's dialog.js Dialog the guard touches. */
interface GuardedDialog {
  connected?: boolean;
  removeAllListeners(event?: string | symbol): unknown;
  on(event: string, listener: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): unknown;
}

/**
 * Once srf has ended a dialog (our BYE answered, their BYE, a final NOTIFY) it drops the
 * dialog's listeners; a request of that dialog it had already taken in, queued for its
 * next tick, then finds no listener and srf answers it 200 (a REFER crossing our BYE was
 * "accepted" and nothing happened). The dialog is gone, so RFC 3261 12.2.2 applies: 481
 * (Call/Transaction Does Not Exist). Installed on every dialog srf registers (srf-app.ts).
 */
export function guardEndedDialog(dialog: GuardedDialog): void {
  const removeAll = dialog.removeAllListeners.bind(dialog);
  dialog.removeAllListeners = (event?: string | symbol) => {
    // EventEmitter tells "all" from "one" by the argument count, not by its value
    const result = event === undefined ? removeAll() : removeAll(event);
    if (event === undefined && dialog.connected === false) {
      for (const method of SELF_ANSWERED) dialog.on(method, (_req, res) => res.send(481, 'Call/Transaction Does Not Exist'));
    }
    return result;
  };
}
