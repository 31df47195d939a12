/**
 * Hand-written scanners for the address headers (From, To, Contact, Route, Refer-To):
 * one pass over the text each, so their cost grows linearly with the header however it
 * is crafted. Regular expressions here backtracked: `([^<"]*?))\s*<` took 32 s of the
 * event loop on a From of 5,000 spaces, before authentication (issue #13).
 */

/** Longer header values are not addresses anyone routes on (RFC 3261 sets no limit; phones send < 300). */
export const MAX_ADDRESS_HEADER = 4096;

const isLws = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** The index of the first character at or after `i` that is not linear white space (RFC 3261 25.1 LWS). */
function skipLws(s: string, i: number): number {
  while (i < s.length && isLws(s[i])) i++;
  return i;
}

/** A name-addr (RFC 3261 20.10): display name (unquoted), the URI between < and >, and what follows `>`. */
export interface NameAddr {
  display?: string;
  uri: string;
  /** the header parameters after the URI, e.g. `;tag=1;expires=60` */
  params: string;
}

/**
 * RFC 3261 25.1: `quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE`, starting at
 * the quote at `i`. Returns the unescaped text and the index after the closing quote, or
 * undefined when the string never closes.
 */
function quotedString(s: string, i: number): { text: string; end: number } | undefined {
  let text = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === '"') return { text, end: j + 1 };
    if (c === '\\' && j + 1 < s.length) {
      j++;
      text += s[j];
    } else {
      text += c;
    }
  }
  return undefined;
}

/**
 * `"Alice" <sip:alice@example.com>;tag=1` -> its display name, URI and parameters.
 * Undefined when the value is not in name-addr form (no `<...>` after an optional display
 * name): an addr-spec, which `addrSpec` reads.
 */
export function nameAddr(value: string): NameAddr | undefined {
  let i = skipLws(value, 0);
  let display: string | undefined;
  if (value[i] === '"') {
    const q = quotedString(value, i);
    if (!q) return undefined;
    display = q.text;
    i = skipLws(value, q.end);
    if (value[i] !== '<') return undefined;
  } else {
    // RFC 3261 25.1: display-name = *(token LWS) / quoted-string; anything up to `<` is taken
    const lt = value.indexOf('<', i);
    const quote = value.indexOf('"', i);
    if (lt === -1 || (quote !== -1 && quote < lt)) return undefined;
    display = value.slice(i, lt).trim();
    i = lt;
  }
  const gt = value.indexOf('>', i + 1);
  if (gt <= i + 1) return undefined;
  return { display: display || undefined, uri: value.slice(i + 1, gt).trim(), params: value.slice(gt + 1) };
}

/**
 * RFC 3261 20.10: without angle brackets, everything after the first `;` is a header
 * parameter, not part of the URI.
 */
export function addrSpec(value: string): { uri: string; params: string } {
  const semi = value.indexOf(';');
  return semi === -1 ? { uri: value.trim(), params: '' } : { uri: value.slice(0, semi).trim(), params: value.slice(semi) };
}

/** Either form: the URI and the header parameters of one address header value. */
export function addressParts(value: string): NameAddr {
  return nameAddr(value) ?? addrSpec(value);
}

/**
 * The value of header parameter `name` in `;a=1;b;tag=x` (RFC 3261 7.3.1 generic-param;
 * names compare case-insensitively): the text after `=` (quotes kept), '' for a
 * parameter without a value, undefined when absent.
 */
export function headerParam(params: string, name: string): string | undefined {
  const want = name.toLowerCase();
  let i = 0;
  while (i < params.length) {
    const semi = params.indexOf(';', i);
    if (semi === -1) return undefined;
    // a quoted value may hold `;`: the parameter ends at the first `;` outside quotes
    let end = semi + 1;
    let quoted = false;
    for (; end < params.length; end++) {
      const c = params[end];
      if (quoted && c === '\\') end++;
      else if (c === '"') quoted = !quoted;
      else if (c === ';' && !quoted) break;
    }
    const param = params.slice(semi + 1, end);
    const eq = param.indexOf('=');
    const key = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
    if (key === want) return eq === -1 ? '' : param.slice(eq + 1).trim();
    i = end;
  }
  return undefined;
}

/**
 * Splits a header value that lists addresses (Contact, Route, Record-Route: RFC 3261
 * 7.3.1 allows several, comma-separated) on the commas outside quotes and angle brackets.
 */
export function splitAddressList(value: string): string[] {
  const out: string[] = [];
  let inAngle = false;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (inAngle) {
      // RFC 3261 20.10: a URI in angle brackets may hold commas; it ends at the first `>`
      if (ch === '>') inAngle = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') inAngle = true;
    else if (ch === ',') {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter(Boolean);
}

/** RFC 3261 25.1: `text` as a quoted-string (quotes and backslashes escaped, control characters dropped). */
export function quoted(text: string): string {
  let out = '"';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) continue;
    out += c === '"' || c === '\\' ? `\\${c}` : c;
  }
  return `${out}"`;
}
