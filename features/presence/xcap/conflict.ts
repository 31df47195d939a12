import { escapeXml } from './xml';

/** The namespace and media type of XCAP error documents (RFC 4825 11). */
export const XCAP_ERROR_NS = 'urn:ietf:params:xml:ns:xcap-error';
export const XCAP_ERROR_MIME = 'application/xcap-error+xml';

/** The error elements this server reports (RFC 4825 11.1). */
export type ConflictTag =
  | 'not-well-formed' | 'not-xml-frag' | 'not-xml-att-value' | 'no-parent' | 'cannot-insert' | 'cannot-delete'
  | 'schema-validation-error' | 'uniqueness-failure' | 'not-utf-8';

/**
 * A 409 (RFC 4825 8.2.5, 11): thrown by validation and edits, answered with an
 * application/xcap-error+xml body naming what went wrong.
 */
export class XcapConflict extends Error {
  constructor(
    readonly tag: ConflictTag,
    readonly phrase?: string,
    /** uniqueness-failure: the field (a node selector) that is not unique */
    readonly field?: string,
  ) {
    super(`${tag}${phrase ? `: ${phrase}` : ''}`);
  }

  body(): string {
    const phrase = this.phrase ? ` phrase="${escapeXml(this.phrase)}"` : '';
    const inner = this.tag === 'uniqueness-failure' && this.field
      ? `<uniqueness-failure${phrase}><exists field="${escapeXml(this.field)}"/></uniqueness-failure>`
      : `<${this.tag}${phrase}/>`;
    return `<?xml version="1.0" encoding="UTF-8"?>\n<xcap-error xmlns="${XCAP_ERROR_NS}">${inner}</xcap-error>\n`;
  }
}
