import Srf from 'drachtio-srf';

/** The parts of a SIP URI the platform routes on, via srf's own parser. */
export interface SipAddress {
  user: string;
  host: string;
  port?: number;
  uri: string;
  display?: string;
}

/** `"Alice" <sip:alice@example.com>;tag=1` or `sip:alice@example.com` -> its parts. */
export function parseAddress(header: string | undefined): SipAddress | null {
  if (!header) return null;
  const m = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]+)>/.exec(header);
  const uri = m ? m[3] : header.split(';')[0].trim();
  const parsed = Srf.parseUri(uri) as { user?: string; host?: string; port?: number | string } | null;
  if (!parsed?.host) return null;
  const display = m ? (m[1] ?? m[2]?.trim()) || undefined : undefined;
  return { user: parsed.user ?? '', host: parsed.host.toLowerCase(), port: parsed.port ? Number(parsed.port) : undefined, uri, display };
}

/** RFC 3323 / RFC 5079: a caller who withholds its identity. */
export function isAnonymous(from: string | undefined, privacy: string | undefined): boolean {
  if (privacy && /\b(id|user|header)\b/i.test(privacy)) return true;
  const a = parseAddress(from);
  if (!a) return false;
  return a.user.toLowerCase() === 'anonymous' || a.host === 'anonymous.invalid' || /^anonymous$/i.test(a.display ?? '');
}
