import { addressParts, MAX_ADDRESS_HEADER } from './name-addr';
import { parseSipUri } from './sip-uri';

/** The parts of a SIP URI the platform routes on. */
export interface SipAddress {
  user: string;
  host: string;
  port?: number;
  uri: string;
  display?: string;
}

/**
 * `"Alice" <sip:alice@example.com>;tag=1` or `sip:alice@example.com` -> its parts; null
 * when it holds no SIP URI or is longer than any real address (MAX_ADDRESS_HEADER). Linear
 * in the header's length (name-addr.ts, sip-uri.ts): it runs before authentication.
 */
export function parseAddress(header: string | undefined): SipAddress | null {
  if (!header || header.length > MAX_ADDRESS_HEADER) return null;
  const { display, uri } = addressParts(header);
  const parsed = parseSipUri(uri);
  if (!parsed) return null;
  return { user: parsed.user, host: parsed.host, port: parsed.port, uri, display };
}

/** RFC 3323 4.2: `Privacy: priv-value *(";" priv-value)`; these values withhold the caller's identity. */
const WITHHOLDING = new Set(['id', 'user', 'header']);

/** RFC 3323 / RFC 5079: a caller who withholds its identity. */
export function isAnonymous(from: string | undefined, privacy: string | undefined): boolean {
  if (privacy && privacy.length <= MAX_ADDRESS_HEADER) {
    // phones also separate values by commas or spaces: split on any of them
    for (const value of privacy.split(/[;,\s]/)) if (WITHHOLDING.has(value.toLowerCase())) return true;
  }
  const a = parseAddress(from);
  if (!a) return false;
  return a.user.toLowerCase() === 'anonymous' || a.host === 'anonymous.invalid' || a.display?.toLowerCase() === 'anonymous';
}
