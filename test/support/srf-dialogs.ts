import Srf from 'drachtio-srf';

/**
 * The SIP dialogs the applications in this process hold, counted on drachtio-srf's side:
 * every dialog srf tracks goes through its `addDialog`/`removeDialog`. It is the engine-
 * neutral view of "what dialogs are up": the embedded engine also reports its own count
 * (`/stats`), drachtio-server only a Prometheus gauge it refreshes every 30 s.
 *
 * The one place the tests reach into srf's undocumented dialog bookkeeping.
 */
interface DialogBook {
  addDialog(dialog: { id: string }): void;
  removeDialog(dialog: { id: string }): void;
}

const live = new Map<Srf, Set<string>>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const proto = Srf.prototype as unknown as DialogBook;
  const add = proto.addDialog;
  const remove = proto.removeDialog;
  proto.addDialog = function (this: Srf, dialog) {
    let ids = live.get(this);
    if (!ids) live.set(this, (ids = new Set()));
    ids.add(dialog.id);
    add.call(this, dialog);
  };
  proto.removeDialog = function (this: Srf, dialog) {
    live.get(this)?.delete(dialog.id);
    remove.call(this, dialog);
  };
}

/** Starts counting afresh (servers of earlier suites are gone); call before the test's servers start. */
export function countSrfDialogs(): void {
  install();
  live.clear();
}

/** Dialogs held now by every srf application in this process. */
export function srfDialogCount(): number {
  let n = 0;
  for (const ids of live.values()) n += ids.size;
  return n;
}
