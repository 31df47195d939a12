import type Srf from 'drachtio-srf';
import type { SrfApp } from './srf-app';
import type { SubscribeContext } from '../feature';
import { hangUp } from './hang-up';

/**
 * The dialog event package (RFC 4235) as BLF lamps use it: a SUBSCRIBE `Event: dialog` to
 * a resource (a user, a park slot) gets its dialogs now and a NOTIFY on every change
 * (RFC 6665 4.2), until the subscription expires or is withdrawn. Features decide what a
 * resource's dialogs are; this module owns the subscriptions and the XML.
 */

/** One dialog element (RFC 4235 4.1). Tags and Call-ID let a phone build a Replaces (RFC 3891). */
export interface DialogInfoEntry {
  id: string;
  state: 'trying' | 'proceeding' | 'early' | 'confirmed' | 'terminated';
  direction?: 'initiator' | 'recipient';
  callId?: string;
  localTag?: string;
  remoteTag?: string;
  /** the other party's URI (RFC 4235 4.1.6.2 remote identity) */
  remote?: string;
  local?: string;
}

const MAX_EXPIRES = 3600;

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** RFC 4235 4: a full-state dialog-info document. */
export function dialogInfoXml(entity: string, version: number, dialogs: readonly DialogInfoEntry[]): string {
  const lines = [`<?xml version="1.0"?>`,
    `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${xmlEscape(entity)}">`];
  for (const d of dialogs) {
    const attrs = [`id="${xmlEscape(d.id)}"`];
    if (d.callId) attrs.push(`call-id="${xmlEscape(d.callId)}"`);
    if (d.localTag) attrs.push(`local-tag="${xmlEscape(d.localTag)}"`);
    if (d.remoteTag) attrs.push(`remote-tag="${xmlEscape(d.remoteTag)}"`);
    if (d.direction) attrs.push(`direction="${d.direction}"`);
    const local = d.local ? `<local><identity>${xmlEscape(d.local)}</identity></local>` : '';
    const remote = d.remote ? `<remote><identity>${xmlEscape(d.remote)}</identity></remote>` : '';
    lines.push(`<dialog ${attrs.join(' ')}><state>${d.state}</state>${local}${remote}</dialog>`);
  }
  lines.push('</dialog-info>', '');
  return lines.join('\r\n');
}

interface Watch {
  dialog: Srf.Dialog;
  entity: string;
  version: number;
  expiresAt: number;
  timer?: NodeJS.Timeout;
}


function expiresOf(req: Srf.SrfRequest): number {
  return Math.min(MAX_EXPIRES, Math.max(1, Number(req.get('Expires') ?? 3600) || 3600));
}

/** Subscriptions to resources keyed by `tenant~name`; `dialogs(key)` is the current state. */
export class DialogInfoWatchers {
  private readonly watches = new Map<string, Set<Watch>>();

  constructor(private readonly srf: SrfApp, private readonly dialogs: (tenant: string, name: string) => Promise<DialogInfoEntry[]> | DialogInfoEntry[]) {}

  get size(): number {
    let n = 0;
    for (const s of this.watches.values()) n += s.size;
    return n;
  }

  /** Accepts the SUBSCRIBE (200 with the granted Expires) and sends the first NOTIFY at once (RFC 6665 4.2.1). */
  async subscribe(ctx: SubscribeContext, name: string): Promise<void> {
    const expires = expiresOf(ctx.req);
    const dialog = await this.srf.createUAS(ctx.req, ctx.res, { headers: { Expires: String(expires) } });
    const key = `${ctx.tenant}~${name}`;
    const w: Watch = { dialog, entity: `sip:${name}@${ctx.tenant}`, version: 0, expiresAt: Date.now() + expires * 1000 };
    if (!this.watches.has(key)) this.watches.set(key, new Set());
    this.watches.get(key)?.add(w);
    const drop = (): void => {
      clearTimeout(w.timer);
      const set = this.watches.get(key);
      set?.delete(w);
      if (set?.size === 0) this.watches.delete(key);
    };
    const arm = (): void => {
      clearTimeout(w.timer);
      w.timer = setTimeout(() => {
        drop();
        hangUp(dialog); // the final NOTIFY: Subscription-State terminated (RFC 6665 4.2.2)
      }, Math.max(0, w.expiresAt - Date.now()));
    };
    arm();
    dialog.on('subscribe', (req, res) => {
      const e = expiresOf(req);
      w.expiresAt = Date.now() + e * 1000;
      res.send(200, { headers: { Expires: String(e) } });
      arm();
      void this.refresh(w, ctx.tenant, name);
    });
    dialog.on('unsubscribe', () => {
      drop();
      hangUp(dialog);
    });
    dialog.on('destroy', drop);
    await this.refresh(w, ctx.tenant, name);
  }

  /** Whether anyone here watches this resource (cheap check before computing its state). */
  watched(tenant: string, name: string): boolean {
    return this.watches.has(`${tenant}~${name}`);
  }

  /** The resource changed: every watcher hears its full state, `extra` (terminated dialogs) included. */
  async changed(tenant: string, name: string, extra: readonly DialogInfoEntry[] = []): Promise<void> {
    const set = this.watches.get(`${tenant}~${name}`);
    if (!set || set.size === 0) return;
    const dialogs = [...(await this.dialogs(tenant, name)), ...extra];
    await Promise.all([...set].map((w) => this.notify(w, dialogs)));
  }

  close(): void {
    for (const set of this.watches.values()) {
      for (const w of set) {
        clearTimeout(w.timer);
        hangUp(w.dialog);
      }
    }
    this.watches.clear();
  }

  private async refresh(w: Watch, tenant: string, name: string): Promise<void> {
    await this.notify(w, await this.dialogs(tenant, name));
  }

  private async notify(w: Watch, dialogs: readonly DialogInfoEntry[]): Promise<void> {
    const left = Math.max(0, Math.round((w.expiresAt - Date.now()) / 1000));
    try {
      await w.dialog.request({
        method: 'NOTIFY',
        headers: { Event: 'dialog', 'Subscription-State': `active;expires=${left}`, 'Content-Type': 'application/dialog-info+xml' },
        body: dialogInfoXml(w.entity, w.version++, dialogs),
      });
    } catch {
      // the subscriber is gone; its dialog's end drops the watch
    }
  }
}
