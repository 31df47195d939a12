import type { PublishContext } from '../../lib/feature';
import { respond } from '../../lib/sip/respond';
import { grantExpires } from '../../lib/sip/subscription-limits';
import { checkPidf, PIDF_TYPE } from './pidf';
import type { PublicationStore } from './publications';
import { MAX_XML_BYTES, XmlError } from './xml';

export interface PublishDeps {
  store: PublicationStore;
  expires: { minExpires: number; maxExpires: number };
  /** the presentity's state changed (on every instance: the bus) */
  changed(tenant: string, user: string): Promise<void>;
}

/**
 * The presence event state compositor's side of PUBLISH (RFC 3903 6, the steps cited
 * below). A user publishes only its own state (RFC 3903 6 step 3: authorization).
 */
export async function handlePublish(c: PublishContext, deps: PublishDeps): Promise<void> {
  const { req, res, tenant, target } = c;
  if (c.publisher !== target) {
    respond(res, 403, 'Forbidden - A User Publishes Only Its Own State');
    return;
  }
  const grant = grantExpires(req.get('Expires'), deps.expires);
  if (grant.kind === 'too-brief') {
    // step 4: 423 with Min-Expires
    respond(res, 423, 'Interval Too Brief', { 'Min-Expires': String(grant.minExpires) });
    return;
  }
  const body = typeof req.body === 'string' ? req.body : '';
  // the length the message says, so an oversized body is refused before anything reads it
  const length = Buffer.byteLength(body, 'utf8');
  if (length > MAX_XML_BYTES) {
    respond(res, 413, 'Request Entity Too Large');
    return;
  }
  const ifMatch = req.get('SIP-If-Match')?.trim();
  let previous: string | undefined;
  if (ifMatch) {
    // step 5: an unknown entity-tag is 412 Conditional Request Failed
    if (!(await deps.store.get(tenant, target, ifMatch))) {
      respond(res, 412, 'Conditional Request Failed');
      return;
    }
    previous = ifMatch;
  }
  if (grant.expires === 0) {
    // step 6: Expires 0 removes the publication (only with SIP-If-Match; initial with 0 is 400)
    if (!previous) {
      respond(res, 400, 'Bad Request - Expires 0 Without SIP-If-Match');
      return;
    }
    await deps.store.remove(tenant, target, previous);
    res.send(200, { headers: { 'SIP-ETag': previous, Expires: '0' } });
    await deps.changed(tenant, target);
    return;
  }
  let stored = body;
  let publishedAt: number | undefined;
  if (length === 0) {
    // step 5: a refresh carries no body and needs an entity-tag to refresh
    if (!previous) {
      respond(res, 400, 'Bad Request - Initial PUBLISH Without Body');
      return;
    }
    const old = await deps.store.get(tenant, target, previous);
    stored = old?.body ?? '';
    publishedAt = old?.publishedAt;
  } else {
    const type = (req.get('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== PIDF_TYPE) {
      respond(res, 415, 'Unsupported Media Type', { Accept: PIDF_TYPE });
      return;
    }
    try {
      checkPidf(body);
    } catch (err) {
      if (!(err instanceof XmlError)) throw err;
      c.logger.info('PUBLISH with a bad PIDF refused', { publisher: c.publisher, error: err.message });
      respond(res, 400, 'Bad Request - Invalid PIDF', { Warning: `399 feature-server "${err.message.replace(/"/g, "'")}"` });
      return;
    }
  }
  const etag = await deps.store.put(tenant, target, stored, grant.expires, previous, publishedAt);
  if (!etag) {
    respond(res, 503, 'Service Unavailable - Too Many Publications', { 'Retry-After': '60' });
    return;
  }
  // step 8: 200 with the new entity-tag and the granted expiry
  res.send(200, { headers: { 'SIP-ETag': etag, Expires: String(grant.expires) } });
  // a refresh changes nothing a watcher sees
  if (length > 0) await deps.changed(tenant, target);
}
