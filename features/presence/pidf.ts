import { XMLSerializer } from '@xmldom/xmldom';
import { elements, parseXml, xmlEscape, XmlError } from './xml';

/**
 * PIDF (RFC 3863) with the RPID (RFC 4480) and data-model (RFC 4479) elements phones send:
 * checking a published document, and composing the one document a watcher gets from all
 * of a presentity's publications (RFC 3903 4: the compositor's job) plus the platform's
 * own view of its calls.
 */

export const PIDF_NS = 'urn:ietf:params:xml:ns:pidf';
export const DM_NS = 'urn:ietf:params:xml:ns:pidf:data-model';
export const RPID_NS = 'urn:ietf:params:xml:ns:pidf:rpid';
export const PIDF_TYPE = 'application/pidf+xml';

/** Most top-level elements (tuples, persons, devices, notes) one document may carry. */
export const MAX_PIDF_ELEMENTS = 32;

/** What a user is doing by the platform's own calls (not published: seen). */
export type CallActivity = 'idle' | 'ringing' | 'on-the-phone';

/**
 * RFC 3863 4.1: a `presence` root in the PIDF namespace with an `entity`, each `tuple`
 * with an `id` and a `status`. Throws XmlError otherwise; the caller answers 400 (RFC 3903
 * 6 step 5: a body the ESC cannot process) and stores nothing.
 */
export function checkPidf(body: string, maxBytes?: number): void {
  const root = parseXml(body, maxBytes).documentElement;
  if (!root || root.localName !== 'presence' || root.namespaceURI !== PIDF_NS) throw new XmlError('not a PIDF presence document');
  if (!root.getAttribute('entity')) throw new XmlError('presence without entity');
  const top = elements(root);
  if (top.length > MAX_PIDF_ELEMENTS) throw new XmlError(`more than ${MAX_PIDF_ELEMENTS} elements`);
  for (const e of top) {
    if (e.namespaceURI === PIDF_NS && e.localName === 'tuple') {
      if (!e.getAttribute('id')) throw new XmlError('tuple without id');
      const status = elements(e).filter((c) => c.localName === 'status' && c.namespaceURI === PIDF_NS);
      if (status.length !== 1) throw new XmlError('tuple without exactly one status');
      checkBasic(status[0]);
    }
  }
}

/** RFC 3863 4.1.4: at most one `<basic>`, whose value is `open` or `closed` and nothing else. */
function checkBasic(status: Element): void {
  const basic = elements(status).filter((c) => c.localName === 'basic' && c.namespaceURI === PIDF_NS);
  if (basic.length > 1) throw new XmlError('status with more than one basic');
  if (basic.length === 0) return;
  if (elements(basic[0]).length > 0) throw new XmlError('basic with child elements');
  const value = (basic[0].textContent ?? '').trim();
  if (value !== 'open' && value !== 'closed') throw new XmlError(`basic must be open or closed, not '${value.slice(0, 20)}'`);
}

function callPerson(activity: CallActivity): string {
  if (activity === 'idle') return '';
  // RFC 4480 3.2: on-the-phone is an activity; ringing is none of the listed ones, hence <other>
  const act = activity === 'on-the-phone' ? '<rp:on-the-phone/>' : '<rp:other>ringing</rp:other>';
  return `<dm:person xmlns:dm="${DM_NS}" xmlns:rp="${RPID_NS}" id="fs-calls"><rp:activities>${act}</rp:activities></dm:person>`;
}

const CLOSED = (id: string): string => `<tuple id="${id}"><status><basic>closed</basic></status></tuple>`;

/** A published document and when its state was last set (a refresh does not set it). */
export interface PublishedState {
  body: string;
  publishedAt: number;
}

/**
 * The document a watcher gets (RFC 3903 4: the compositor's policy is local; this one is
 * "the newest publication wins"): every top-level element of every publication, except
 * that
 * - an element whose `id` a newer publication also uses is left out: both describe the
 *   same tuple (a phone that restarted and lost its entity-tag publishes afresh while its
 *   old publication has not yet expired), and the newer says what is true now; ids stay
 *   unique as RFC 3863 4.1.3 requires;
 * - `<person>` elements (RFC 4479 3.1: the person is the presentity itself, one human)
 *   come from the newest publication that has any, so two devices never contradict each
 *   other about what the user is doing;
 * and the platform's call activity as a person element of its own. With no publication
 * the presentity is closed (RFC 3863 4.1.4). Publications are already checked
 * (checkPidf); one that no longer parses is left out rather than failing the document.
 * Elements keep their publications' order, oldest first.
 */
export function composePidf(entity: string, publications: readonly PublishedState[], activity: CallActivity = 'idle'): string {
  const ser = new XMLSerializer();
  const newestFirst = [...publications].sort((a, b) => b.publishedAt - a.publishedAt);
  const ids = new Set<string>();
  let personsTaken = false;
  const kept: string[][] = [];
  for (const p of newestFirst) {
    let root: Element | null;
    try {
      root = parseXml(p.body).documentElement;
    } catch {
      continue;
    }
    if (!root) continue;
    const out: string[] = [];
    let hasPerson = false;
    for (const e of elements(root)) {
      if (e.localName === 'person' && e.namespaceURI === DM_NS) {
        if (personsTaken) continue;
        hasPerson = true;
      }
      const id = e.getAttribute('id');
      if (id) {
        if (ids.has(id)) continue;
        ids.add(id);
      }
      out.push(ser.serializeToString(e));
    }
    personsTaken ||= hasPerson;
    kept.push(out);
  }
  const parts = kept.reverse().flat();
  if (parts.length === 0) parts.push(CLOSED('fs-none'));
  const call = callPerson(activity);
  return `<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="${PIDF_NS}" entity="${xmlEscape(entity)}">${parts.join('')}${call}</presence>\r\n`;
}

/**
 * RFC 5025 3.2.1 polite-block: the watcher is told nothing true, a document that says the
 * presentity is offline, with no notes, persons or devices.
 */
export function neutralPidf(entity: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="${PIDF_NS}" entity="${xmlEscape(entity)}">${CLOSED('fs-neutral')}</presence>\r\n`;
}
