import { DOMParser } from '@xmldom/xmldom';

const CP = 'urn:ietf:params:xml:ns:common-policy';
const PR = 'urn:ietf:params:xml:ns:pres-rules';
const RLMI = 'urn:ietf:params:xml:ns:rlmi';

/** A pres-rules document (RFC 5025 on RFC 4745): one rule per watcher URI. */
export const rules = (byWatcher: Record<string, 'allow' | 'block' | 'polite-block' | 'confirm'>): string =>
  `<?xml version="1.0" encoding="UTF-8"?><cp:ruleset xmlns:cp="${CP}" xmlns:pr="${PR}">`
  + Object.entries(byWatcher).map(([uri, action], i) =>
    `<cp:rule id="r${i}"><cp:conditions><cp:identity><cp:one id="${uri}"/></cp:identity></cp:conditions>`
    + `<cp:actions><pr:sub-handling>${action}</pr:sub-handling></cp:actions>`
    + '<cp:transformations><pr:provide-persons><pr:all-persons/></pr:provide-persons>'
    + '<pr:provide-services><pr:all-services/></pr:provide-services></cp:transformations></cp:rule>').join('')
  + '</cp:ruleset>';

export interface ListResource {
  uri: string;
  id: string;
  state: string;
  reason?: string;
  cid?: string;
  /** the body of the part its cid names */
  part?: string;
}

/** A NOTIFY of a list subscription as the test reads it: headers, the RLMI root and the parts it names. */
export interface ListNotify {
  state: string;
  require?: string;
  contentType: string;
  body: string;
  /** body parts, the root included */
  parts: number;
  list: { uri: string; version: string; fullState: string };
  resources: ListResource[];
}

function headerOf(head: string, name: string): string | undefined {
  return head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim();
}

/** RFC 2387 multipart/related with an RLMI root (RFC 4662 5), parsed strictly enough that a malformed body fails the test. */
export function parseListNotify(message: string): ListNotify {
  const split = message.indexOf('\r\n\r\n');
  const head = message.slice(0, split);
  const body = message.slice(split + 4);
  const contentType = headerOf(head, 'Content-Type') ?? '';
  const state = headerOf(head, 'Subscription-State') ?? '';
  const require = headerOf(head, 'Require');
  const empty = { state, require, contentType, body, parts: 0, list: { uri: '', version: '', fullState: '' }, resources: [] };
  if (!contentType) return empty;
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  const start = /start="<([^>]+)>"/.exec(contentType)?.[1];
  if (!boundary || !start) throw new Error(`not a multipart/related with start and boundary: ${contentType}`);
  const chunks = body.split(`--${boundary}`);
  if (chunks.at(-1)?.trim() !== '--') throw new Error('no closing boundary');
  const parts = new Map<string, string>();
  for (const c of chunks.slice(1, -1)) {
    const at = c.indexOf('\r\n\r\n');
    const cid = /Content-ID: <([^>]+)>/i.exec(c.slice(0, at))?.[1];
    if (!cid) throw new Error('a part without Content-ID');
    parts.set(cid, c.slice(at + 4).replace(/\r\n$/, ''));
  }
  const root = parts.get(start);
  if (!root) throw new Error('no root part');
  const doc = new DOMParser().parseFromString(root, 'application/xml');
  const list = doc.documentElement;
  if (!list || list.localName !== 'list' || list.namespaceURI !== RLMI) throw new Error('the root is no RLMI list');
  const resources: ListResource[] = [];
  const rs = list.getElementsByTagNameNS(RLMI, 'resource');
  for (let i = 0; i < rs.length; i++) {
    const r = rs.item(i);
    const inst = r?.getElementsByTagNameNS(RLMI, 'instance').item(0);
    if (!r || !inst) throw new Error('a resource without instance');
    const cid = inst.getAttribute('cid') || undefined;
    if (cid && !parts.has(cid)) throw new Error(`cid ${cid} names no part`);
    resources.push({ uri: r.getAttribute('uri') ?? '', id: inst.getAttribute('id') ?? '', state: inst.getAttribute('state') ?? '',
      reason: inst.getAttribute('reason') || undefined, cid, part: cid ? parts.get(cid) : undefined });
  }
  return { state, require, contentType, body, parts: parts.size,
    list: { uri: list.getAttribute('uri') ?? '', version: list.getAttribute('version') ?? '', fullState: list.getAttribute('fullState') ?? '' }, resources };
}
