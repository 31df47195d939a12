import type { Logger } from 'winston';
import type { HttpRequest, HttpResponse } from '../../../lib/api';
import type { DigestAuth } from '../../../lib/sip/digest-auth';
import { evaluate } from './conditional';
import { XcapConflict, XCAP_ERROR_MIME } from './conflict';
import { deleteNode, NothingSelected, putAttribute, putElement } from './edit';
import { digestAuthenticate, jsonError, type AuthGuard, type CredentialLookup } from './http-digest';
import { select } from './select';
import { documentKey, etagOf, type DocumentStore, type StoredDocument } from './store';
import { XCAP_CAPS, XCAP_CAPS_ETAG, type Usage } from './usages';
import { DOCUMENT_NAME, parseXcapUri, XcapUriError, type XcapUri } from './xcap-uri';
import { escapeXml, namespacesInScope, parseXml, serialize, XmlError, type XmlDocument } from './xml';

export const MIME = {
  element: 'application/xcap-el+xml',
  attribute: 'application/xcap-att+xml',
  namespaces: 'application/xcap-ns+xml',
} as const;

/** How often a write is retried when another write to the same document came first. */
const MAX_ATTEMPTS = 5;

export interface HandlerDeps {
  store: DocumentStore;
  digest: DigestAuth;
  credentials: CredentialLookup;
  guard?: AuthGuard;
  logger: Logger;
  maxDocumentBytes: number;
  /** a user document was written or deleted */
  changed(c: { tenant: string; user: string; auid: string }): void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** the media type of a Content-Type value, lower-cased, without parameters */
function mediaType(v: string | undefined): string {
  const s = v ?? '';
  const semi = s.indexOf(';');
  return (semi < 0 ? s : s.slice(0, semi)).trim().toLowerCase();
}

function conflict(c: XcapConflict, etag?: string): HttpResponse {
  return { status: 409, headers: { 'content-type': XCAP_ERROR_MIME, ...(etag ? { etag } : {}) }, body: c.body() };
}

/** What a request does to a document: a new body (or undefined: deleted) and the status to answer. */
type Edit = (doc: StoredDocument | undefined) => { body: string | undefined; status: number };

class Refusal extends Error {
  constructor(readonly response: HttpResponse) {
    super(`refused ${response.status}`);
  }
}

/** The XCAP server (RFC 4825) as one HTTP handler under /xcap-root. */
export function xcapHandler(deps: HandlerDeps): (req: HttpRequest) => Promise<HttpResponse> {
  const { store, maxDocumentBytes } = deps;

  function parseDocument(text: string, usage: Usage): XmlDocument {
    let doc: XmlDocument;
    try {
      doc = parseXml(text);
    } catch (err) {
      if (err instanceof XmlError) throw new XcapConflict('not-well-formed', err.message);
      throw err;
    }
    usage.validate(doc);
    return doc;
  }

  function read(req: HttpRequest, uri: XcapUri, usage: Usage, doc: StoredDocument | undefined, text: string | undefined): HttpResponse {
    if (!doc || text === undefined) return jsonError(404, 'E_NOT_FOUND', 'no such document');
    const cond = evaluate(req.method, doc.etag, req.headers['if-match'], req.headers['if-none-match']);
    if (cond === 'failed') return { ...jsonError(412, 'E_PRECONDITION_FAILED', 'the document\'s ETag does not match'), headers: { etag: doc.etag, 'content-type': 'application/json; charset=utf-8' } };
    if (cond === 'not-modified') return { status: 304, headers: { etag: doc.etag } };
    if (!uri.selector) return { status: 200, headers: { 'content-type': usage.mime, etag: doc.etag }, body: text };
    const found = select(parseXml(text), uri.selector);
    switch (found.kind) {
      case 'none': return { ...jsonError(404, 'E_NOT_FOUND', 'the node selector selects nothing'), headers: { etag: doc.etag, 'content-type': 'application/json; charset=utf-8' } };
      case 'element': return { status: 200, headers: { 'content-type': MIME.element, etag: doc.etag }, body: serialize(found.element) };
      case 'attribute': return { status: 200, headers: { 'content-type': MIME.attribute, etag: doc.etag }, body: escapeXml(found.value) };
      case 'namespace': {
        // RFC 4825 7.10: the element's name with every binding in scope at it
        let decls = '';
        for (const [p, ns] of namespacesInScope(found.element)) decls += p ? ` xmlns:${p}="${escapeXml(ns)}"` : ` xmlns="${escapeXml(ns)}"`;
        return { status: 200, headers: { 'content-type': MIME.namespaces, etag: doc.etag }, body: `<${found.element.nodeName}${decls}/>` };
      }
    }
  }

  /** the new document for a PUT or DELETE of `uri` (RFC 4825 8.2, 8.3) */
  function editFor(req: HttpRequest, uri: XcapUri, usage: Usage, text: string): Edit {
    const sel = uri.selector;
    const type = mediaType(req.headers['content-type']);
    if (req.method === 'PUT') {
      const expected = !sel ? usage.mime : sel.terminal?.kind === 'attribute' ? MIME.attribute : MIME.element;
      if (sel?.terminal?.kind === 'namespace') throw new Refusal(jsonError(405, 'E_METHOD_NOT_ALLOWED', 'namespace bindings are read-only', { allow: 'GET' }));
      if (type !== expected) throw new Refusal(jsonError(415, 'E_UNSUPPORTED_MEDIA_TYPE', `send ${expected}`));
    }
    return (current) => {
      if (req.method === 'DELETE' && !current) throw new Refusal(jsonError(404, 'E_NOT_FOUND', 'no such document'));
      if (!sel) {
        if (req.method === 'DELETE') return { body: undefined, status: 200 };
        parseDocument(text, usage);
        return { body: text, status: current ? 200 : 201 };
      }
      // RFC 4825 8.2.3: an element or attribute needs its document
      if (!current) throw new XcapConflict('no-parent', 'the document does not exist');
      const doc = parseXml(current.body);
      let status = 200;
      if (req.method === 'DELETE') {
        if (sel.terminal?.kind === 'namespace') throw new Refusal(jsonError(405, 'E_METHOD_NOT_ALLOWED', 'namespace bindings are read-only', { allow: 'GET' }));
        try {
          deleteNode(doc, sel);
        } catch (err) {
          if (err instanceof NothingSelected) throw new Refusal(jsonError(404, 'E_NOT_FOUND', 'the node selector selects nothing'));
          throw err;
        }
      } else {
        const { created } = sel.terminal?.kind === 'attribute' ? putAttribute(doc, sel, text) : putElement(doc, sel, text);
        status = created ? 201 : 200;
      }
      usage.validate(doc);
      return { body: serialize(doc), status };
    };
  }

  async function write(req: HttpRequest, key: string, edit: Edit): Promise<HttpResponse> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await store.get(key);
      const cond = evaluate(req.method, current?.etag, req.headers['if-match'], req.headers['if-none-match']);
      if (cond !== 'ok') {
        return { ...jsonError(412, 'E_PRECONDITION_FAILED', 'the document\'s ETag does not match'),
          headers: { 'content-type': 'application/json; charset=utf-8', ...(current ? { etag: current.etag } : {}) } };
      }
      let next: { body: string | undefined; status: number };
      try {
        next = edit(current);
      } catch (err) {
        if (err instanceof XcapConflict) return conflict(err, current?.etag);
        throw err;
      }
      if (next.body !== undefined && Buffer.byteLength(next.body) > maxDocumentBytes) {
        return jsonError(413, 'E_PAYLOAD_TOO_LARGE', `a document may have at most ${maxDocumentBytes} bytes`);
      }
      if (await store.swap(key, current?.etag, next.body)) {
        const headers: Record<string, string> = next.body === undefined ? {} : { etag: etagOf(next.body) };
        return { status: next.status, headers };
      }
    }
    return jsonError(503, 'E_UNAVAILABLE', 'the document keeps changing; try again');
  }

  return async (req) => {
    try {
      const uri = parseXcapUri(req.url);
      const usage = uri.usage;
      if (!uri.owner) {
        // the global tree holds one document: the server's capabilities, readable by anyone (RFC 4825 12)
        if (usage.auid !== 'xcap-caps' || uri.document !== DOCUMENT_NAME) return jsonError(404, 'E_NOT_FOUND', 'no such document');
        if (req.method !== 'GET' && req.method !== 'HEAD') return jsonError(405, 'E_METHOD_NOT_ALLOWED', 'xcap-caps is read-only', { allow: 'GET, HEAD' });
        return read(req, uri, usage, { etag: XCAP_CAPS_ETAG, body: XCAP_CAPS }, XCAP_CAPS);
      }
      const { tenant, user } = uri.owner;
      const auth = await digestAuthenticate(req, tenant, deps.digest, deps.credentials, deps.guard);
      if (!auth.ok) return auth.response;
      // a user reaches their own documents only
      if (auth.user !== user) return jsonError(403, 'E_FORBIDDEN', 'another user\'s document');
      if (!usage.writable) return jsonError(404, 'E_NOT_FOUND', 'no such document');
      if (uri.document !== DOCUMENT_NAME) return jsonError(404, 'E_NOT_FOUND', `each user has one ${usage.auid} document, '${DOCUMENT_NAME}'`);
      const key = documentKey(tenant, user, usage.auid, uri.document);
      if (req.method === 'GET' || req.method === 'HEAD') {
        const doc = await store.get(key);
        return read(req, uri, usage, doc, doc?.body);
      }
      if (req.method !== 'PUT' && req.method !== 'DELETE') return jsonError(405, 'E_METHOD_NOT_ALLOWED', `${req.method} is not an XCAP method`, { allow: 'GET, HEAD, PUT, DELETE' });
      let text: string;
      try {
        text = utf8.decode(req.body);
      } catch {
        return conflict(new XcapConflict('not-utf-8'));
      }
      const res = await write(req, key, editFor(req, uri, usage, text));
      if (res.status === 200 || res.status === 201) deps.changed({ tenant, user, auid: usage.auid });
      return res;
    } catch (err) {
      if (err instanceof Refusal) return err.response;
      if (err instanceof XcapUriError) return jsonError(err.status, err.status === 414 ? 'E_URI_TOO_LONG' : err.status === 404 ? 'E_NOT_FOUND' : 'E_BAD_REQUEST', err.message);
      if (err instanceof XcapConflict) return conflict(err);
      throw err;
    }
  };
}

