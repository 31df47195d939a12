/**
 * XCAP (RFC 4825) for presence: the HTTP server of users' resource lists (RFC 4826) and
 * presence authorization rules (RFC 5025), and the lookups the SIP side makes of them.
 */
export { createXcap, xcapChanged, type Authorization, type Xcap, type XcapChange, type XcapDeps } from './xcap';
export type { AuthGuard, CredentialLookup } from './http-digest';
export { XCAP_ROOT } from './xcap-uri';
