import { MAX_URI } from '../../../lib/sip/sip-uri';
import { parseNamespaceBindings, parseNodeSelector, SelectorError, type NodeSelector } from './node-selector';
import { usageOf, type Usage } from './usages';

/**
 * XCAP URIs (RFC 4825 6): `<root>/<auid>/users/<xui>/<document>[/~~/<node selector>]`
 * or `<root>/<auid>/global/<document>`, with namespace bindings in the query (6.4).
 * The document selector's segments and the node selector are percent-decoded here, the
 * node selector as a whole (its `/` inside quoted values are data, not separators).
 */

export const XCAP_ROOT = '/xcap-root';
/** as long as a digest-uri may be (the credentials sign the whole request-target) */
export const MAX_URL = MAX_URI;
/** the one document name each user has per usage (RFC 5025 9.2 names it for pres-rules) */
export const DOCUMENT_NAME = 'index';

export class XcapUriError extends Error {
  constructor(readonly status: 400 | 404 | 414, message: string) {
    super(message);
  }
}

export interface XcapUri {
  usage: Usage;
  /** undefined for the global tree */
  owner?: { tenant: string; user: string };
  document: string;
  selector?: NodeSelector;
}

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new XcapUriError(400, `malformed percent-encoding in the ${what}`);
  }
}

/** `sip:user@domain` (RFC 4825 4: the XUI; for SIP usages the user's AOR) */
export function parseXui(xui: string): { tenant: string; user: string } | undefined {
  if (xui.length > 300 || xui.slice(0, 4).toLowerCase() !== 'sip:') return undefined;
  const aor = xui.slice(4);
  const at = aor.indexOf('@');
  if (at < 1 || aor.indexOf('@', at + 1) >= 0) return undefined;
  const user = aor.slice(0, at);
  const tenant = aor.slice(at + 1).toLowerCase();
  const okHost = tenant.length > 0 && tenant.length <= 253
    && [...tenant].every((c) => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-' || c === '.');
  const okUser = user.length <= 128 && [...user].every((c) => c > ' ' && c !== ':' && c !== ';' && c !== '?' && c !== '/' && c < '\u007f');
  return okHost && okUser ? { tenant, user } : undefined;
}

export function parseXcapUri(url: string): XcapUri {
  if (url.length > MAX_URL) throw new XcapUriError(414, 'XCAP URI too long');
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : decode(url.slice(q + 1), 'query');
  if (!path.startsWith(`${XCAP_ROOT}/`)) throw new XcapUriError(404, 'not an XCAP document URI');
  const sep = path.indexOf('/~~/');
  const docPath = sep < 0 ? path.slice(XCAP_ROOT.length + 1) : path.slice(XCAP_ROOT.length + 1, sep);
  const segs = docPath.split('/').map((s) => decode(s, 'document selector'));
  const usage = usageOf(segs[0] ?? '');
  if (!usage) throw new XcapUriError(404, `no application usage '${segs[0] ?? ''}'`);
  let out: XcapUri;
  if (segs[1] === 'global' && segs.length === 3) {
    out = { usage, document: segs[2] };
  } else if (segs[1] === 'users' && segs.length === 4) {
    const owner = parseXui(segs[2]);
    if (!owner) throw new XcapUriError(404, 'the XUI must be sip:user@domain');
    out = { usage, owner, document: segs[3] };
  } else {
    throw new XcapUriError(404, 'no such document');
  }
  if (sep >= 0) {
    const selector = decode(path.slice(sep + 4), 'node selector');
    try {
      out.selector = parseNodeSelector(selector, query ? parseNamespaceBindings(query) : new Map(), usage.ns);
    } catch (err) {
      if (err instanceof SelectorError) throw new XcapUriError(400, `node selector: ${err.message}`);
      throw err;
    }
  }
  return out;
}
