import { createHash } from 'node:crypto';
import { XcapConflict, XCAP_ERROR_NS } from './conflict';
import { childElements, localName, textOf, type XmlDocument, type XmlElement } from './xml';

/**
 * The application usages served (RFC 4825 5): what each AUID's documents are, their
 * media type, the namespace unprefixed node-selector names are in, and the constraints
 * a document must meet before it is stored (a hand-written check of the parts of each
 * schema the platform relies on, plus the uniqueness constraints, RFC 4825 8.2.5).
 */

export const NS = {
  resourceLists: 'urn:ietf:params:xml:ns:resource-lists',
  commonPolicy: 'urn:ietf:params:xml:ns:common-policy',
  presRules: 'urn:ietf:params:xml:ns:pres-rules',
  xcapCaps: 'urn:ietf:params:xml:ns:xcap-caps',
} as const;

export type Auid = 'resource-lists' | 'pres-rules' | 'xcap-caps';

export interface Usage {
  auid: Auid;
  mime: string;
  /** RFC 4825 5.6: the default document namespace */
  ns: string;
  /** user documents may be written (xcap-caps is one global, read-only document) */
  writable: boolean;
  /** XcapConflict when the document breaks the usage's schema or uniqueness constraints */
  validate(doc: XmlDocument): void;
}

const invalid = (phrase: string): XcapConflict => new XcapConflict('schema-validation-error', phrase);

/** Children of `e` in namespace `ns` (others are extensions: `##other` in every schema here). */
const own = (e: XmlElement, ns: string): XmlElement[] => childElements(e).filter((c) => (c.namespaceURI ?? '') === ns);

function checkRoot(doc: XmlDocument, ns: string, local: string): XmlElement {
  const root = doc.documentElement;
  if (!root || localName(root) !== local || (root.namespaceURI ?? '') !== ns) throw invalid(`the root element must be <${local} xmlns="${ns}">`);
  return root;
}

function unique(seen: Set<string>, value: string, field: string): void {
  if (seen.has(value)) throw new XcapConflict('uniqueness-failure', `${field} is not unique`, field);
  seen.add(value);
}

/** RFC 4826 3.4: a list's children, and what must be unique among them (3.4.7). */
function checkList(list: XmlElement, path: string): void {
  const ns = NS.resourceLists;
  const names = new Set<string>();
  const uris = new Set<string>();
  const refs = new Set<string>();
  const anchors = new Set<string>();
  for (const c of own(list, ns)) {
    const tag = localName(c);
    switch (tag) {
      case 'display-name':
        break;
      case 'list': {
        const name = c.getAttribute('name');
        if (name !== null && c.hasAttribute('name')) unique(names, name, `${path}/list[@name="${name}"]/@name`);
        checkList(c, `${path}/list`);
        break;
      }
      case 'entry': {
        if (!c.hasAttribute('uri')) throw invalid('<entry> needs a uri attribute');
        const uri = c.getAttribute('uri') ?? '';
        unique(uris, uri, `${path}/entry[@uri="${uri}"]/@uri`);
        for (const d of own(c, ns)) if (localName(d) !== 'display-name') throw invalid(`<${localName(d)}> is not allowed in <entry>`);
        break;
      }
      case 'entry-ref': {
        if (!c.hasAttribute('ref')) throw invalid('<entry-ref> needs a ref attribute');
        unique(refs, c.getAttribute('ref') ?? '', `${path}/entry-ref/@ref`);
        break;
      }
      case 'external': {
        if (c.hasAttribute('anchor')) unique(anchors, c.getAttribute('anchor') ?? '', `${path}/external/@anchor`);
        break;
      }
      default:
        throw invalid(`<${tag}> is not allowed in <list>`);
    }
  }
}

/** RFC 4826 3.2: <resource-lists> holds <list> elements, names unique among them. */
function validateResourceLists(doc: XmlDocument): void {
  const root = checkRoot(doc, NS.resourceLists, 'resource-lists');
  const names = new Set<string>();
  for (const c of own(root, NS.resourceLists)) {
    if (localName(c) !== 'list') throw invalid(`<${localName(c)}> is not allowed in <resource-lists>`);
    if (c.hasAttribute('name')) unique(names, c.getAttribute('name') ?? '', `resource-lists/list[@name="${c.getAttribute('name') ?? ''}"]/@name`);
    checkList(c, 'resource-lists/list');
  }
}

export const SUB_HANDLING = ['block', 'confirm', 'polite-block', 'allow'] as const;

/** RFC 4745 6.1 (<identity>: <one id>, <many domain?> with <except id|domain>). */
function checkIdentity(identity: XmlElement): void {
  const cp = NS.commonPolicy;
  for (const c of own(identity, cp)) {
    const tag = localName(c);
    if (tag === 'one') {
      if (!c.hasAttribute('id')) throw invalid('<one> needs an id attribute');
    } else if (tag === 'many') {
      for (const e of own(c, cp)) {
        if (localName(e) !== 'except') throw invalid(`<${localName(e)}> is not allowed in <many>`);
        if (!e.hasAttribute('id') && !e.hasAttribute('domain')) throw invalid('<except> needs an id or a domain');
      }
    } else {
      throw invalid(`<${tag}> is not allowed in <identity>`);
    }
  }
}

/** RFC 4745 7 (ruleset, rule ids unique), 7.1..7.3 conditions; RFC 5025 3.2.1 sub-handling values. */
function validatePresRules(doc: XmlDocument): void {
  const cp = NS.commonPolicy;
  const root = checkRoot(doc, cp, 'ruleset');
  const ids = new Set<string>();
  for (const rule of own(root, cp)) {
    if (localName(rule) !== 'rule') throw invalid(`<${localName(rule)}> is not allowed in <ruleset>`);
    if (!rule.hasAttribute('id')) throw invalid('<rule> needs an id attribute');
    const id = rule.getAttribute('id') ?? '';
    unique(ids, id, `ruleset/rule[@id="${id}"]/@id`);
    for (const part of own(rule, cp)) {
      const tag = localName(part);
      if (tag === 'conditions') {
        for (const cond of own(part, cp)) {
          const ct = localName(cond);
          if (ct === 'identity') checkIdentity(cond);
          else if (ct !== 'sphere' && ct !== 'validity') throw invalid(`<${ct}> is not a condition`);
        }
      } else if (tag !== 'actions' && tag !== 'transformations') {
        throw invalid(`<${tag}> is not allowed in <rule>`);
      }
    }
    for (const actions of own(rule, cp).filter((e) => localName(e) === 'actions')) {
      for (const a of childElements(actions)) {
        if ((a.namespaceURI ?? '') === NS.presRules && localName(a) === 'sub-handling' && !(SUB_HANDLING as readonly string[]).includes(textOf(a))) {
          throw invalid(`<sub-handling> must be one of ${SUB_HANDLING.join(', ')}`);
        }
      }
    }
  }
}

export const USAGES: Record<Auid, Usage> = {
  'resource-lists': { auid: 'resource-lists', mime: 'application/resource-lists+xml', ns: NS.resourceLists, writable: true, validate: validateResourceLists },
  // RFC 5025 9.1: pres-rules documents are common-policy documents, auth-policy+xml
  'pres-rules': { auid: 'pres-rules', mime: 'application/auth-policy+xml', ns: NS.commonPolicy, writable: true, validate: validatePresRules },
  'xcap-caps': { auid: 'xcap-caps', mime: 'application/xcap-caps+xml', ns: NS.xcapCaps, writable: false, validate: () => undefined },
};

export function usageOf(auid: string): Usage | undefined {
  return Object.prototype.hasOwnProperty.call(USAGES, auid) ? USAGES[auid as Auid] : undefined;
}

/** RFC 4825 12: what this server supports, as GET /xcap-root/xcap-caps/global/index answers. */
export const XCAP_CAPS = `<?xml version="1.0" encoding="UTF-8"?>
<xcap-caps xmlns="${NS.xcapCaps}">
  <auids>${Object.keys(USAGES).map((a) => `<auid>${a}</auid>`).join('')}</auids>
  <extensions/>
  <namespaces>${[NS.xcapCaps, XCAP_ERROR_NS, NS.resourceLists, NS.commonPolicy, NS.presRules].map((n) => `<namespace>${n}</namespace>`).join('')}</namespaces>
</xcap-caps>
`;
export const XCAP_CAPS_ETAG = `"${createHash('sha256').update(XCAP_CAPS).digest('base64url').slice(0, 22)}"`;
