import { DOMParser } from '@xmldom/xmldom';

/**
 * The one way presence reads XML from the network (PIDF bodies of PUBLISH): bounded in
 * size before parsing, no DOCTYPE at all (no entity definitions, so no entity expansion
 * bombs and no external fetches), and any parser warning or error rejects the document
 * rather than being repaired into something the sender did not write.
 */

export class XmlError extends Error {
  override readonly name = 'XmlError';
}

/** The largest body any presence document may have (RFC 3903 leaves the bound to policy). */
export const MAX_XML_BYTES = 16 * 1024;

export function parseXml(text: string, maxBytes = MAX_XML_BYTES): Document {
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw new XmlError(`document over ${maxBytes} bytes`);
  // a plain substring search (no regex): DOCTYPE in any case, anywhere
  if (text.toUpperCase().includes('<!DOCTYPE')) throw new XmlError('DOCTYPE is not allowed');
  const fail = (msg: unknown): never => {
    throw new XmlError(String(msg).split('\n')[0].slice(0, 200));
  };
  let doc: Document;
  try {
    doc = new DOMParser({ errorHandler: { warning: fail, error: fail, fatalError: fail } }).parseFromString(text, 'application/xml');
  } catch (err) {
    if (err instanceof XmlError) throw err;
    throw new XmlError((err as Error).message.split('\n')[0].slice(0, 200));
  }
  if (!doc.documentElement) throw new XmlError('no root element');
  return doc;
}

/** Child elements of `el` with this namespace and local name. */
export function children(el: Element, ns: string | null, local: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) {
      const e = n as Element;
      if (e.localName === local && (ns === null || e.namespaceURI === ns)) out.push(e);
    }
  }
  return out;
}

/** Every child element of `el`. */
export function elements(el: Element): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
