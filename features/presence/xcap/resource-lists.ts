import { selectElement } from './select';
import { NS } from './usages';
import { DOCUMENT_NAME, parseXcapUri, XCAP_ROOT, XcapUriError } from './xcap-uri';
import { childElements, localName, type XmlDocument, type XmlElement } from './xml';

/** Entries one list may expand to: a bound on what a nested or hostile document yields. */
export const MAX_LIST_ENTRIES = 1000;
/** References (<entry-ref>, <external>) followed in one expansion: a bound on documents read and on cycles. */
export const MAX_REFERENCES = 32;
/** How deep <external> lists may nest into each other. */
export const MAX_REFERENCE_DEPTH = 4;

const rl = (e: XmlElement, name: string): boolean => (e.namespaceURI ?? '') === NS.resourceLists && localName(e) === name;

/** A user's resource-lists document, undefined when it has none (or it cannot be read). */
export type ListDocuments = (tenant: string, user: string) => Promise<XmlDocument | undefined>;

export interface ExpandedList {
  /** member URIs, nested lists flattened in document order, each URI once */
  entries: string[];
  /** the users whose documents the expansion read through references (not the owner) */
  sources: string[];
}

interface Walk {
  tenant: string;
  read: ListDocuments;
  out: string[];
  seen: Set<string>;
  sources: Set<string>;
  followed: number;
  /** external lists already expanded in this walk: a cycle, or the same list twice, is expanded once */
  expanded: Set<string>;
}

/**
 * The element an <entry-ref ref> (RFC 4826 3.2: a relative URI resolved against the XCAP
 * root, naming an <entry>) or an <external anchor> (an absolute HTTP URI naming a <list>)
 * points at, when it is a resource-lists document of a user of the same tenant on this
 * server: a list never reaches another tenant's documents, nor fetches anything from
 * another server (such references are left out).
 */
async function dereference(w: Walk, path: string, want: 'entry' | 'list'): Promise<XmlElement | undefined> {
  if (w.followed >= MAX_REFERENCES) return undefined;
  w.followed++;
  let uri;
  try {
    uri = parseXcapUri(path);
  } catch (err) {
    if (err instanceof XcapUriError) return undefined;
    throw err;
  }
  if (uri.usage.auid !== 'resource-lists' || !uri.owner || uri.owner.tenant !== w.tenant || uri.document !== DOCUMENT_NAME) return undefined;
  if (!uri.selector || uri.selector.terminal) return undefined;
  w.sources.add(uri.owner.user);
  const doc = await w.read(w.tenant, uri.owner.user);
  const el = doc ? selectElement(doc, uri.selector.steps) : undefined;
  return el && rl(el, want) ? el : undefined;
}

/** The path of an <external> anchor on this server's XCAP root; undefined for another scheme or root. */
function anchorPath(anchor: string): string | undefined {
  let url: URL;
  try {
    url = new URL(anchor);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return `${url.pathname}${url.search}`;
}

function add(w: Walk, uri: string): void {
  if (uri && !w.seen.has(uri) && w.out.length < MAX_LIST_ENTRIES) {
    w.seen.add(uri);
    w.out.push(uri);
  }
}

async function collect(w: Walk, list: XmlElement, depth: number): Promise<void> {
  for (const c of childElements(list)) {
    if (w.out.length >= MAX_LIST_ENTRIES) break;
    if (rl(c, 'entry')) {
      add(w, c.getAttribute('uri') ?? '');
    } else if (rl(c, 'list')) {
      await collect(w, c, depth);
    } else if (rl(c, 'entry-ref')) {
      const ref = c.getAttribute('ref') ?? '';
      const entry = ref ? await dereference(w, `${XCAP_ROOT}/${ref.startsWith('/') ? ref.slice(1) : ref}`, 'entry') : undefined;
      if (entry) add(w, entry.getAttribute('uri') ?? '');
    } else if (rl(c, 'external') && depth < MAX_REFERENCE_DEPTH) {
      const path = anchorPath(c.getAttribute('anchor') ?? '');
      if (!path || w.expanded.has(path)) continue;
      w.expanded.add(path);
      const target = await dereference(w, path, 'list');
      if (target) await collect(w, target, depth + 1);
    }
  }
}

/**
 * The members of `owner`'s top-level list named `name` (RFC 4826 3.2), undefined when
 * there is no such list: <entry> URIs, nested <list>s flattened, <entry-ref>s replaced by
 * the entry they name and <external>s by the members of the list they name (each
 * followed as described at dereference), in document order, each URI once. Bounded:
 * MAX_LIST_ENTRIES members, MAX_REFERENCES references, MAX_REFERENCE_DEPTH nested
 * externals; a reference that cycles back is not followed again.
 */
export async function expandList(tenant: string, owner: string, name: string, read: ListDocuments): Promise<ExpandedList | undefined> {
  const doc = await read(tenant, owner);
  const root = doc?.documentElement;
  if (!root) return undefined;
  const list = childElements(root).find((e) => rl(e, 'list') && e.getAttribute('name') === name);
  if (!list) return undefined;
  const w: Walk = { tenant, read, out: [], seen: new Set(), sources: new Set(), followed: 0, expanded: new Set() };
  await collect(w, list, 0);
  w.sources.delete(owner);
  return { entries: w.out, sources: [...w.sources] };
}

/** The members of a list whose entries are all in `doc` itself (no reference is followed). */
export async function listEntries(doc: XmlDocument, name: string): Promise<string[] | undefined> {
  return (await expandList('', '', name, async () => doc))?.entries;
}
