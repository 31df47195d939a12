import type { SrfApp } from '../../lib/sip/srf-app';
import type { SubscribeContext } from '../../lib/feature';
import { DialogInfoWatchers, type DialogInfoEntry } from '../../lib/sip/dialog-info';
import type { ParkedEntry } from './slots';

/** RFC 4235 for one park slot: a confirmed dialog while occupied, none when empty. */
export function slotDialogs(slot: string, entry: ParkedEntry | undefined): DialogInfoEntry[] {
  if (!entry) return [];
  return [{ id: `park-${slot}`, state: 'confirmed', direction: 'recipient', remote: `sip:${entry.parkedUser}@${entry.tenant}` }];
}

/**
 * BLF for park slots: SUBSCRIBE `Event: dialog` to a slot gets the slot's state now and
 * a NOTIFY on every change: confirmed while occupied, terminated when freed.
 * (One instance's watchers hear its own parks; across instances this needs Redis pub/sub.)
 */
export class SlotWatchers {
  private readonly watchers: DialogInfoWatchers;

  constructor(srf: SrfApp, current: (tenant: string, slot: string) => Promise<ParkedEntry | undefined>) {
    this.watchers = new DialogInfoWatchers(srf, async (tenant, slot) => slotDialogs(slot, await current(tenant, slot)));
  }

  get size(): number {
    return this.watchers.size;
  }

  subscribe(ctx: SubscribeContext, slot: string): Promise<void> {
    return this.watchers.subscribe(ctx, slot);
  }

  /** A slot changed: every watcher of it hears the new state (a freed slot: its dialog terminated). */
  changed(tenant: string, slot: string, entry: ParkedEntry | undefined): void {
    const ended: DialogInfoEntry[] = entry ? [] : [{ id: `park-${slot}`, state: 'terminated', direction: 'recipient' }];
    void this.watchers.changed(tenant, slot, ended);
  }

  close(): void {
    this.watchers.close();
  }
}
