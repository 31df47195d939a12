import type { WatcherChange } from './presence-watchers';

type Remote = WatcherChange & { from: string };

/**
 * The watchers other instances hold (RFC 3857 watcher information across instances,
 * issue 19 item 6), learned from their watcherChanged bus events, so that the full
 * watcher list a winfo subscriber gets here names them too. An instance that starts
 * later knows only the watchers that changed since; an instance that died leaves its
 * entries until `sweep` finds it gone. Bounded: past `max` entries the one heard of
 * longest ago is dropped.
 */
export class RemoteWatchers {
  /** every entry, least recently heard first, by `tenant~presentity` NUL id */
  private readonly entries = new Map<string, Remote>();
  /** tenant~presentity -> keys of its entries */
  private readonly byPresentity = new Map<string, Set<string>>();

  constructor(private readonly self: string, private readonly max = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  heard(change: Remote): void {
    if (change.from === this.self) return; // this instance's own are listed by their owners
    const group = `${change.tenant}~${change.presentity}`;
    const key = `${group}\u0000${change.id}`;
    this.remove(key);
    if (change.status === 'terminated') return;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.remove(oldest);
    }
    this.entries.set(key, change);
    const keys = this.byPresentity.get(group) ?? new Set<string>();
    keys.add(key);
    this.byPresentity.set(group, keys);
  }

  list(tenant: string, presentity: string): WatcherChange[] {
    const out: WatcherChange[] = [];
    for (const key of this.byPresentity.get(`${tenant}~${presentity}`) ?? []) {
      const w = this.entries.get(key);
      if (w) out.push(w);
    }
    return out;
  }

  /** Drops the entries of every instance `alive` says is gone (its subscriptions died with it). */
  async sweep(alive: (instance: string) => Promise<boolean>): Promise<void> {
    const instances = new Set([...this.entries.values()].map((w) => w.from));
    const gone = new Set<string>();
    for (const i of instances) if (!(await alive(i))) gone.add(i);
    for (const [key, w] of [...this.entries]) if (gone.has(w.from)) this.remove(key);
  }

  private remove(key: string): void {
    const w = this.entries.get(key);
    if (!w) return;
    this.entries.delete(key);
    const group = `${w.tenant}~${w.presentity}`;
    const keys = this.byPresentity.get(group);
    keys?.delete(key);
    if (keys?.size === 0) this.byPresentity.delete(group);
  }
}
