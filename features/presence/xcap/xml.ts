import { DOMParser, XMLSerializer } from '@xmldom/xmldom';

/**
 * The one place XCAP documents are parsed and written. @xmldom/xmldom is lenient by
 * default (it repairs and warns); here every warning or error rejects the document,
 * since RFC 4825 8.2.1 wants `not-well-formed` for anything that is not well-formed XML.
 * DOCTYPE is refused outright: no document of these usages has one, and it is where
 * entity expansion attacks live.
 */

export type XmlDocument = ReturnType<DOMParser['parseFromString']>;
export type XmlElement = NonNullable<XmlDocument['documentElement']>;
export type XmlNode = NonNullable<XmlElement['firstChild']>;

export class XmlError extends Error {}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_NODE = 4;
const PI_NODE = 7;
const COMMENT_NODE = 8;

function reject(msg: string): never {
  throw new XmlError(msg.replace(/\s+/g, ' ').trim().slice(0, 200));
}

/** A document with exactly one root element, or an XmlError. */
export function parseXml(text: string): XmlDocument {
  if (text.includes('<!DOCTYPE') || text.includes('<!ENTITY')) throw new XmlError('DOCTYPE is not allowed');
  // the parser drops text before the first tag unseen; XML (2.1 `document`) allows only white space there
  const lead = text.trimStart();
  if (lead.charCodeAt(0) === 0xfeff ? lead[1] !== '<' : lead[0] !== '<') throw new XmlError('content before the root element');
  let doc: XmlDocument;
  try {
    doc = new DOMParser({ errorHandler: { warning: reject, error: reject, fatalError: reject } }).parseFromString(text, 'text/xml');
  } catch (err) {
    throw err instanceof XmlError ? err : new XmlError((err as Error).message);
  }
  if (!doc.documentElement) throw new XmlError('no root element');
  // the parser accepts text beside the root element; XML (2.1 `document`) does not
  for (let n = doc.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === ELEMENT_NODE || n.nodeType === PI_NODE || n.nodeType === COMMENT_NODE) continue;
    if (n.nodeType === TEXT_NODE && (n.nodeValue ?? '').trim() === '') continue;
    throw new XmlError('content outside the root element');
  }
  return doc;
}

export function serialize(node: XmlDocument | XmlNode): string {
  return new XMLSerializer().serializeToString(node as XmlNode);
}

export const isElement = (n: XmlNode | null | undefined): n is XmlElement => !!n && n.nodeType === ELEMENT_NODE;

/** The element children of `e`, in document order. */
export function childElements(e: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (let n = e.firstChild; n; n = n.nextSibling) if (isElement(n)) out.push(n);
  return out;
}

/** The text content of `e` (text and CDATA children only), trimmed. */
export function textOf(e: XmlElement): string {
  let s = '';
  for (let n = e.firstChild; n; n = n.nextSibling) if (n.nodeType === TEXT_NODE || n.nodeType === CDATA_NODE) s += n.nodeValue ?? '';
  return s.trim();
}

/** The local name (xmldom sets localName on namespace-aware parses). */
export const localName = (e: XmlElement): string => e.localName ?? e.nodeName;

/** `&`, `<`, `>` and quotes escaped for an attribute value or text. */
export function escapeXml(s: string): string {
  let out = '';
  for (const c of s) {
    out += c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === '\'' ? '&apos;' : c;
  }
  return out;
}

/**
 * The namespace declarations in scope at `e` (prefix '' is the default namespace), so a
 * fragment PUT under `e` reads its prefixes as the document would (RFC 4825 8.2.3).
 */
export function namespacesInScope(e: XmlElement | null): Map<string, string> {
  const chain: XmlElement[] = [];
  for (let n: XmlNode | null = e; n && isElement(n); n = n.parentNode as XmlNode | null) chain.unshift(n);
  const scope = new Map<string, string>();
  for (const el of chain) {
    for (let i = 0; i < el.attributes.length; i++) {
      const a = el.attributes.item(i);
      if (!a) continue;
      if (a.name === 'xmlns') scope.set('', a.value);
      else if (a.name.startsWith('xmlns:')) scope.set(a.name.slice(6), a.value);
    }
  }
  return scope;
}

/**
 * One element from an XML fragment body (application/xcap-el+xml), read with the
 * namespace declarations of its future parent in scope. XmlError when the body is not
 * exactly one well-formed element.
 */
export function parseElementFragment(text: string, scope: Map<string, string>): XmlElement {
  let decls = '';
  for (const [prefix, uri] of scope) decls += prefix ? ` xmlns:${prefix}="${escapeXml(uri)}"` : ` xmlns="${escapeXml(uri)}"`;
  // a '<' in the body cannot close the wrapper early: the parser checks the nesting
  const doc = parseXml(`<xcap-fragment-wrapper${decls}>${text}</xcap-fragment-wrapper>`);
  const root = doc.documentElement as XmlElement;
  let found: XmlElement | undefined;
  for (let n = root.firstChild; n; n = n.nextSibling) {
    if (isElement(n)) {
      if (found) throw new XmlError('more than one element');
      found = n;
    } else if (n.nodeType === TEXT_NODE && (n.nodeValue ?? '').trim() === '') {
      continue;
    } else {
      throw new XmlError('content beside the element');
    }
  }
  if (!found) throw new XmlError('no element');
  return found;
}
