import { XcapConflict } from './conflict';
import { decodeRefs, SelectorError, type NodeSelector } from './node-selector';
import { nameMatches, select, selectElement, stepMatches, attrOf } from './select';
import { childElements, namespacesInScope, parseElementFragment, XmlError, type XmlDocument, type XmlElement } from './xml';

/**
 * Element and attribute writes (RFC 4825 8.2.3, 8.2.4, 8.3). Each edits the parsed
 * document in place and then checks the RFC's idempotency rule: a GET of the same URI
 * must select what was PUT (else 409 cannot-insert), and nothing once it was DELETEd
 * (else 409 cannot-delete). The caller stores the document only if no error was thrown.
 */

export class NothingSelected extends Error {}

/** the body of application/xcap-el+xml: one element, read in the parent's namespace scope */
function fragment(text: string, parent: XmlElement | null): XmlElement {
  let body = text.trimStart();
  // RFC 4825 8.2.3: a fragment carries no XML declaration; tolerated, not kept
  if (body.startsWith('<?xml')) {
    const end = body.indexOf('?>');
    body = end < 0 ? body : body.slice(end + 2);
  }
  try {
    return parseElementFragment(body, namespacesInScope(parent));
  } catch (err) {
    if (err instanceof XmlError) throw new XcapConflict('not-xml-frag', err.message);
    throw err;
  }
}

/** PUT of an element: replaces the selected one, or inserts where the selector points. Returns whether it was created. */
export function putElement(doc: XmlDocument, sel: NodeSelector, body: string): { created: boolean } {
  const last = sel.steps[sel.steps.length - 1];
  const found = select(doc, sel);
  if (found.kind === 'none' && !found.parentExists) throw new XcapConflict('no-parent');
  const parent = found.kind === 'element' ? (found.element.parentNode as XmlElement | null) : sel.steps.length > 1 ? selectElement(doc, sel.steps.slice(0, -1)) ?? null : null;
  if (!parent || parent.nodeType !== 1) {
    // the root: replaced by a whole-document PUT, never inserted beside itself
    throw new XcapConflict('cannot-insert', 'use a document PUT to replace the root element');
  }
  const fresh = fragment(body, parent);
  const imported = doc.importNode(fresh, true) as XmlElement;
  if (!nameMatches(imported, last.name) || (last.attr && attrOf(imported, last.attr.name) !== last.attr.value)) {
    throw new XcapConflict('cannot-insert', 'the element does not match the last step of the node selector');
  }
  let created = false;
  if (found.kind === 'element') {
    parent.replaceChild(imported, found.element);
  } else {
    created = true;
    // after the last sibling the step's name matches, so `name[n]` for n = count + 1 lands right;
    // with a smaller n, before the n-th; the idempotency check below refuses anything else
    const siblings = childElements(parent);
    const byName = stepMatches(siblings, { name: last.name });
    if (last.position !== undefined && last.position <= byName.length) parent.insertBefore(imported, byName[last.position - 1]);
    else if (byName.length > 0) parent.insertBefore(imported, byName[byName.length - 1].nextSibling);
    else parent.appendChild(imported);
  }
  if (selectElement(doc, sel.steps) !== imported) throw new XcapConflict('cannot-insert', 'the node selector would not select the element put');
  return { created };
}

/** PUT of an attribute (application/xcap-att+xml: the value, escaped as in XML, unquoted). */
export function putAttribute(doc: XmlDocument, sel: NodeSelector, body: string): { created: boolean } {
  if (sel.terminal?.kind !== 'attribute') throw new TypeError('not an attribute selector');
  const name = sel.terminal.name;
  const element = selectElement(doc, sel.steps);
  if (!element) throw new XcapConflict('no-parent');
  let value: string;
  try {
    if (body.includes('<')) throw new SelectorError('\'<\' in an attribute value');
    value = decodeRefs(body);
  } catch (err) {
    if (err instanceof SelectorError) throw new XcapConflict('not-xml-att-value', err.message);
    throw err;
  }
  const created = attrOf(element, name) === undefined;
  if (!name.ns) {
    element.setAttribute(name.local, value);
  } else {
    let prefix: string | undefined;
    for (const [p, uri] of namespacesInScope(element)) if (p && uri === name.ns) prefix = p;
    if (prefix === undefined) throw new XcapConflict('cannot-insert', 'no prefix is declared for the attribute\'s namespace');
    element.setAttributeNS(name.ns, `${prefix}:${name.local}`, value);
  }
  const after = select(doc, sel);
  if (after.kind !== 'attribute' || after.element !== element || after.value !== value) {
    throw new XcapConflict('cannot-insert', 'the node selector would not select the attribute put');
  }
  return { created };
}

/** DELETE of an element or an attribute; NothingSelected when there is none (404). */
export function deleteNode(doc: XmlDocument, sel: NodeSelector): void {
  const found = select(doc, sel);
  if (found.kind === 'none' || found.kind === 'namespace') throw new NothingSelected();
  if (found.kind === 'attribute') {
    if (found.name.ns) found.element.removeAttributeNS(found.name.ns, found.name.local);
    else found.element.removeAttribute(found.name.local);
  } else {
    const parent = found.element.parentNode;
    if (!parent || parent.nodeType !== 1) throw new XcapConflict('cannot-delete', 'the root element goes with a document DELETE');
    parent.removeChild(found.element);
  }
  if (select(doc, sel).kind !== 'none') throw new XcapConflict('cannot-delete', 'the node selector would select another node');
}
