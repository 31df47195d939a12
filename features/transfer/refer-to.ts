import { addressParts, MAX_ADDRESS_HEADER } from '../../lib/sip/name-addr';
import { parseSipUri } from '../../lib/sip/sip-uri';
import { parseReplaces, type Replaces } from '../../lib/sip/replaces';

/** Where a REFER sends the transferee (RFC 3515 2.1), and the dialog it replaces for an attended transfer. */
export interface ReferTarget {
  user: string;
  host: string;
  /** RFC 3891 / RFC 5589 6: `?Replaces=<call-id>%3Bto-tag%3D..%3Bfrom-tag%3D..` names the consultation dialog */
  replaces?: Replaces;
}

/** URI headers (RFC 3261 19.1.1 `?name=value&...`) of a Refer-To are few; more is no phone's. */
const MAX_URI_HEADERS = 8;

/**
 * The Refer-To of a REFER: a SIP URI with a user, and its Replaces header if it has one.
 * Undefined when it is no such URI, or its Replaces is malformed (RFC 3515 2.4.2: 400).
 * One pass with indexOf: the header comes from a phone.
 */
export function parseReferTo(value: string | undefined): ReferTarget | undefined {
  if (!value || value.length > MAX_ADDRESS_HEADER) return undefined;
  const { uri } = addressParts(value);
  const q = uri.indexOf('?');
  const base = q === -1 ? uri : uri.slice(0, q);
  const parts = parseSipUri(base);
  if (!parts || !parts.user) return undefined;
  const target: ReferTarget = { user: parts.user, host: parts.host };
  if (q === -1) return target;
  const headers = uri.slice(q + 1).split('&');
  if (headers.length > MAX_URI_HEADERS) return undefined;
  for (const h of headers) {
    const eq = h.indexOf('=');
    if (eq === -1 || h.slice(0, eq).toLowerCase() !== 'replaces') continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(h.slice(eq + 1));
    } catch {
      return undefined;
    }
    const replaces = parseReplaces(decoded);
    if (!replaces) return undefined;
    target.replaces = replaces;
  }
  return target;
}
