import { parseSipUri } from '../../lib/sip/sip-uri';

/**
 * How a resource list is named in SIP, and the header checks of a list SUBSCRIBE.
 *
 * RFC 4662 leaves the naming of a list to the server (section 3: the RLS knows which URIs
 * are lists); RFC 4826 4 does it with an rls-services document. Here a user's lists are
 * the top-level `<list name="...">` elements of its own resource-lists document
 * (RFC 4826 3, the document phones edit over XCAP), each reachable at
 *
 *     sip:<user>-<list name>@<tenant>        e.g. sip:alice-buddies@example.com
 *
 * by that user alone (a buddy list says who one watches: it is not shown to others). A
 * provisioned user whose name happens to look like that stays a user: users are looked
 * up first.
 */

/** Longest list name taken (RFC 4826 sets none; a name is a label, not a document). */
export const MAX_LIST_NAME = 64;

/** The list name a Request-URI user names for `subscriber`, or undefined when it names none of its lists. */
export function listName(target: string, subscriber: string): string | undefined {
  const prefix = `${subscriber}-`;
  if (!target.startsWith(prefix)) return undefined;
  const name = target.slice(prefix.length);
  return name.length > 0 && name.length <= MAX_LIST_NAME ? name : undefined;
}

/** The URI of `owner`'s list `name` (RFC 4662 5.2: the `uri` of the RLMI `list`). */
export function listUri(owner: string, name: string, tenant: string): string {
  return `sip:${owner}-${name}@${tenant}`;
}

/**
 * The user a list entry names when it is a user of this tenant (`sip:bob@tenant`), else
 * undefined: the server is the presence agent of its own users only, so a member of
 * another domain is reported terminated (noresource) rather than subscribed onward.
 */
export function localMember(uri: string, tenant: string): string | undefined {
  const parts = parseSipUri(uri);
  if (!parts || !parts.user || parts.host !== tenant.toLowerCase()) return undefined;
  return parts.user;
}

function tokens(header: string | undefined): string[] {
  return (header ?? '').split(',').map((t) => t.split(';')[0].trim().toLowerCase()).filter((t) => t.length > 0);
}

/** RFC 3261 20.37: the option tag is among those of a Supported (or Require) header. */
export function hasOptionTag(header: string | undefined, tag: string): boolean {
  return tokens(header).includes(tag.toLowerCase());
}

/** RFC 3261 20.1: every one of `types` is acceptable by this Accept header (wildcards count). */
export function acceptsAll(header: string, types: readonly string[]): boolean {
  const offered = tokens(header);
  return types.every((t) => {
    const major = t.split('/')[0];
    return offered.includes(t) || offered.includes('*/*') || offered.includes(`${major}/*`);
  });
}
