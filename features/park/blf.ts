import type Srf from 'drachtio-srf';
import type { SubscribeContext } from '../../lib/feature';
import type { ParkedEntry } from './slots';

interface Watch {
  dialog: Srf.Dialog;
  entity: string;
  version: number;
  expiresAt: number;
  timer?: NodeJS.Timeout;
}

type Request = (o: object) => Promise<Srf.SrfResponse>;

const MAX_EXPIRES = 3600;

/** RFC 4235 dialog-info for one park slot: a confirmed dialog while occupied, terminated after. */
export function dialogInfo(entity: string, version: number, slot: string, entry: ParkedEntry | undefined, ended: boolean): string {
  const head = `<?xml version="1.0"?>\r\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${entity}">`;
  if (!entry && !ended) return `${head}\r\n</dialog-info>\r\n`;
  const state = entry ? 'confirmed' : 'terminated';
  const remote = entry ? `<remote><identity>sip:${entry.parkedUser}@${entry.tenant}</identity></remote>` : '';
  return `${head}\r\n<dialog id="park-${slot}" direction="recipient"><state>${state}</state>${remote}</dialog>\r\n</dialog-info>\r\n`;
}

/**
 * BLF for park slots: SUBSCRIBE `Event: dialog` to a slot (RFC 6665, RFC 4235) gets the
 * slot's state now and a NOTIFY on every change, until it expires or is withdrawn.
 * (One instance's watchers hear its own parks; across instances this needs Redis pub/sub.)
 */
export class SlotWatchers {
  private readonly watches = new Map<string, Set<Watch>>();

  constructor(private readonly srf: Srf) {}

  get size(): number {
    let n = 0;
    for (const s of this.watches.values()) n += s.size;
    return n;
  }

  async subscribe(ctx: SubscribeContext, slot: string, current: ParkedEntry | undefined): Promise<void> {
    const expires = Math.min(MAX_EXPIRES, Math.max(1, Number(ctx.req.get('Expires') ?? 3600) || 3600));
    const createUas = this.srf.createUAS as unknown as (q: Srf.SrfRequest, r: Srf.SrfResponse, o: object) => Promise<Srf.Dialog>;
    const dialog = await createUas.call(this.srf, ctx.req, ctx.res, { headers: { Expires: String(expires) } });
    const on = dialog.on.bind(dialog) as unknown as (e: string, f: (...a: never[]) => void) => void;
    const key = `${ctx.tenant}~${slot}`;
    const w: Watch = { dialog, entity: `sip:${slot}@${ctx.tenant}`, version: 0, expiresAt: Date.now() + expires * 1000 };
    if (!this.watches.has(key)) this.watches.set(key, new Set());
    this.watches.get(key)?.add(w);
    const drop = (): void => {
      clearTimeout(w.timer);
      this.watches.get(key)?.delete(w);
    };
    const arm = (): void => {
      clearTimeout(w.timer);
      w.timer = setTimeout(() => {
        drop();
        dialog.destroy(); // the final NOTIFY: Subscription-State terminated (RFC 6665 4.2.2)
      }, Math.max(0, w.expiresAt - Date.now()));
    };
    arm();
    on('subscribe', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      const e = Math.min(MAX_EXPIRES, Math.max(1, Number(req.get('Expires') ?? 3600) || 3600));
      w.expiresAt = Date.now() + e * 1000;
      res.send(200, { headers: { Expires: String(e) } });
      arm();
      void this.notify(w, slot, current, false);
    });
    on('unsubscribe', () => {
      drop();
      dialog.destroy();
    });
    on('destroy', drop);
    await this.notify(w, slot, current, false);
  }

  /** A slot changed: every watcher of it hears the new state. */
  changed(tenant: string, slot: string, entry: ParkedEntry | undefined): void {
    for (const w of this.watches.get(`${tenant}~${slot}`) ?? []) void this.notify(w, slot, entry, !entry);
  }

  close(): void {
    for (const set of this.watches.values()) {
      for (const w of set) {
        clearTimeout(w.timer);
        w.dialog.destroy();
      }
    }
    this.watches.clear();
  }

  private async notify(w: Watch, slot: string, entry: ParkedEntry | undefined, ended: boolean): Promise<void> {
    const left = Math.max(0, Math.round((w.expiresAt - Date.now()) / 1000));
    try {
      await (w.dialog.request as unknown as Request).call(w.dialog, {
        method: 'NOTIFY',
        headers: { Event: 'dialog', 'Subscription-State': `active;expires=${left}`, 'Content-Type': 'application/dialog-info+xml' },
        body: dialogInfo(w.entity, w.version++, slot, entry, ended),
      });
    } catch {
      // the subscriber is gone; its dialog's end drops the watch
    }
  }
}
