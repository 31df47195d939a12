import { NS } from './usages';
import { childElements, localName, type XmlDocument, type XmlElement } from './xml';

/** Entries one list may expand to: a bound on what a nested or hostile document yields. */
export const MAX_LIST_ENTRIES = 1000;

const rl = (e: XmlElement, name: string): boolean => (e.namespaceURI ?? '') === NS.resourceLists && localName(e) === name;

function collect(list: XmlElement, out: string[], seen: Set<string>): void {
  for (const c of childElements(list)) {
    if (out.length >= MAX_LIST_ENTRIES) return;
    if (rl(c, 'entry')) {
      const uri = c.getAttribute('uri') ?? '';
      if (uri && !seen.has(uri)) {
        seen.add(uri);
        out.push(uri);
      }
    } else if (rl(c, 'list')) {
      collect(c, out, seen);
    }
  }
}

/**
 * The URIs of the top-level list named `name` (RFC 4826 3.2), nested lists flattened in
 * document order, each URI once; undefined when there is no such list. <entry-ref> and
 * <external> (references to other documents) are not followed.
 */
export function listEntries(doc: XmlDocument, name: string): string[] | undefined {
  const root = doc.documentElement;
  if (!root) return undefined;
  const list = childElements(root).find((e) => rl(e, 'list') && e.getAttribute('name') === name);
  if (!list) return undefined;
  const out: string[] = [];
  collect(list, out, new Set());
  return out;
}
