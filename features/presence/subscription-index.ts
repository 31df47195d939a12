/**
 * Subscriptions by a key (a presentity, a list owner): the sets every subscription kind
 * keeps, with empty sets dropped so the map holds only keys that have subscriptions.
 */
export class SubscriptionIndex<T> {
  private readonly map = new Map<string, Set<T>>();

  add(key: string, s: T): void {
    let set = this.map.get(key);
    if (!set) {
      set = new Set();
      this.map.set(key, set);
    }
    set.add(s);
  }

  delete(key: string, s: T): void {
    const set = this.map.get(key);
    set?.delete(s);
    if (set?.size === 0) this.map.delete(key);
  }

  /** a copy: callers may end subscriptions while going through it */
  get(key: string): T[] {
    return [...(this.map.get(key) ?? [])];
  }

  all(): T[] {
    return [...this.map.values()].flatMap((set) => [...set]);
  }
}
