/**
 * Which users' resource-lists documents each list read on this instance reaches through
 * <entry-ref> and <external> (RFC 4826 3.2), so that an edit of a referenced document
 * is also a change of every list that references it (the RLS follows it, RFC 4662 5).
 * Filled as lists are expanded (each expansion replaces what its list referenced before);
 * bounded, the oldest noted list forgotten first (it is noted again when next read).
 */

export const MAX_NOTED_LISTS = 10_000;

export class ListReferences {
  /** `tenant\nowner\nname` -> users whose documents the list references */
  private readonly lists = new Map<string, { tenant: string; owner: string; sources: Set<string> }>();

  constructor(private readonly max = MAX_NOTED_LISTS) {}

  note(tenant: string, owner: string, name: string, sources: readonly string[]): void {
    const key = `${tenant}\n${owner}\n${name}`;
    this.lists.delete(key);
    if (sources.length === 0) return;
    this.lists.set(key, { tenant, owner, sources: new Set(sources) });
    for (const old of this.lists.keys()) {
      if (this.lists.size <= this.max) break;
      this.lists.delete(old);
    }
  }

  /** The owners of lists that reference `user`'s document, each once. */
  dependents(tenant: string, user: string): string[] {
    const out = new Set<string>();
    for (const l of this.lists.values()) if (l.tenant === tenant && l.owner !== user && l.sources.has(user)) out.add(l.owner);
    return [...out];
  }

  clear(): void {
    this.lists.clear();
  }
}
