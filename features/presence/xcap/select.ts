import type { NodeSelector, QName, Step } from './node-selector';
import { childElements, localName, type XmlDocument, type XmlElement } from './xml';

/**
 * Node selection on a parsed document (RFC 4825 6.3). Each step must pick exactly one
 * element; anything else selects nothing (RFC 4825 8.1.4: 404). The first step is
 * matched against the root element.
 */

export function nameMatches(e: XmlElement, name: QName | undefined): boolean {
  if (!name) return true;
  return localName(e) === name.local && (e.namespaceURI ?? '') === name.ns;
}

export function attrOf(e: XmlElement, name: QName): string | undefined {
  const v = name.ns ? e.getAttributeNS(name.ns, name.local) : e.getAttribute(name.local);
  const has = name.ns ? e.hasAttributeNS(name.ns, name.local) : e.hasAttribute(name.local);
  return has ? (v ?? '') : undefined;
}

/**
 * The candidates among `siblings` a step picks: by name, then the n-th of those (by-pos),
 * then only if it has the attribute value (RFC 4825 6.3: position counts the siblings
 * the name matches, like XPath `name[n][@a="v"]`).
 */
export function stepMatches(siblings: XmlElement[], step: Step): XmlElement[] {
  let c = siblings.filter((e) => nameMatches(e, step.name));
  if (step.position !== undefined) c = c.length >= step.position ? [c[step.position - 1]] : [];
  if (step.attr) {
    const { name, value } = step.attr;
    c = c.filter((e) => attrOf(e, name) === value);
  }
  return c;
}

/** The element the steps select, or undefined when any step selects none or several. */
export function selectElement(doc: XmlDocument, steps: Step[]): XmlElement | undefined {
  const root = doc.documentElement;
  if (!root || steps.length === 0) return undefined;
  let current: XmlElement[] = stepMatches([root], steps[0]);
  for (let i = 1; i < steps.length && current.length === 1; i++) current = stepMatches(childElements(current[0]), steps[i]);
  return current.length === 1 ? current[0] : undefined;
}

export type Selected =
  | { kind: 'element'; element: XmlElement }
  | { kind: 'attribute'; element: XmlElement; name: QName; value: string }
  | { kind: 'namespace'; element: XmlElement }
  | { kind: 'none'; parentExists: boolean };

/** What a node selector selects in `doc`, and for nothing: whether its parent exists (RFC 4825 8.2.3 no-parent). */
export function select(doc: XmlDocument, sel: NodeSelector): Selected {
  const element = selectElement(doc, sel.steps);
  if (!element) {
    // the parent of an element selector is its steps but the last; of the root, the document
    const parentExists = sel.terminal ? false : sel.steps.length === 1 || selectElement(doc, sel.steps.slice(0, -1)) !== undefined;
    return { kind: 'none', parentExists };
  }
  if (!sel.terminal) return { kind: 'element', element };
  if (sel.terminal.kind === 'namespace') return { kind: 'namespace', element };
  const value = attrOf(element, sel.terminal.name);
  return value === undefined ? { kind: 'none', parentExists: true } : { kind: 'attribute', element, name: sel.terminal.name, value };
}
