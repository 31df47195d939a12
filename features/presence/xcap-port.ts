/**
 * What presence needs of the XCAP server (features/presence/xcap, RFC 4825): the
 * presentity's authorization rules (RFC 5025) and its resource lists (RFC 4826). The
 * feature takes one as a dependency; the composition root wires the real one.
 */
export type Authorization = 'allow' | 'block' | 'polite-block' | 'confirm';

export interface Xcap {
  /** RFC 5025 pres-rules of `presentity` applied to a watcher URI; 'confirm' when no rule matches */
  authorize(tenant: string, presentity: string, watcherUri: string): Promise<Authorization>;
  /** entries (URIs) of the presentity's resource list (RFC 4826) `name`, undefined if none */
  list(tenant: string, user: string, name: string): Promise<string[] | undefined>;
  /** a user's document (auid 'pres-rules' | 'resource-lists') changed, on ANY instance */
  onChange(listener: (c: { tenant: string; user: string; auid: string }) => void): () => void;
}

/** An in-memory Xcap (tests, and a server run without the XCAP feature): rules and lists set by hand. */
export interface MemoryXcap extends Xcap {
  /** the rule for a watcher URI of a presentity; undefined removes it */
  setRule(tenant: string, presentity: string, watcherUri: string, rule: Authorization | undefined): void;
  setList(tenant: string, user: string, name: string, entries: string[] | undefined): void;
}

export function memoryXcap(fallback: Authorization = 'confirm'): MemoryXcap {
  const rules = new Map<string, Authorization>();
  const lists = new Map<string, string[]>();
  const listeners = new Set<(c: { tenant: string; user: string; auid: string }) => void>();
  const tell = (tenant: string, user: string, auid: string): void => {
    for (const l of [...listeners]) l({ tenant, user, auid });
  };
  return {
    async authorize(tenant, presentity, watcherUri) {
      return rules.get(`${tenant}~${presentity}~${watcherUri}`) ?? fallback;
    },
    async list(tenant, user, name) {
      return lists.get(`${tenant}~${user}~${name}`);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setRule(tenant, presentity, watcherUri, rule) {
      const k = `${tenant}~${presentity}~${watcherUri}`;
      if (rule) rules.set(k, rule);
      else rules.delete(k);
      tell(tenant, presentity, 'pres-rules');
    },
    setList(tenant, user, name, entries) {
      const k = `${tenant}~${user}~${name}`;
      if (entries) lists.set(k, [...entries]);
      else lists.delete(k);
      tell(tenant, user, 'resource-lists');
    },
  };
}
