import { dialogKey, type Dialog } from './dialog';

/** Dialogs by their SIP identity and by the id applications use. */
export class DialogTable {
  private readonly byKey = new Map<string, Dialog>();
  private readonly byId = new Map<string, Dialog>();

  get size(): number {
    return this.byKey.size;
  }

  add(d: Dialog): void {
    this.byKey.set(dialogKey(d.callId, d.localTag, d.remoteTag), d);
    // Both legs of a call that loops through this engine (a UAC leg to a UA served by the
    // same engine) would share an id: the UAC side then gets a distinguishing suffix.
    if (this.byId.has(d.id) && this.byId.get(d.id) !== d) d.id = `${d.id};role=${d.role}`;
    this.byId.set(d.id, d);
  }

  find(callId: string, localTag: string, remoteTag: string): Dialog | undefined {
    return this.byKey.get(dialogKey(callId, localTag, remoteTag));
  }

  byAppId(id: string): Dialog | undefined {
    return this.byId.get(id);
  }

  remove(d: Dialog): void {
    d.pending2xx?.stop();
    if (this.byKey.get(dialogKey(d.callId, d.localTag, d.remoteTag)) === d) this.byKey.delete(dialogKey(d.callId, d.localTag, d.remoteTag));
    if (this.byId.get(d.id) === d) this.byId.delete(d.id);
  }

  ownedBy(owner: number): Dialog[] {
    return [...this.byKey.values()].filter((d) => d.owner === owner);
  }

  all(): Dialog[] {
    return [...this.byKey.values()];
  }
}
