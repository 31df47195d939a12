import { parseParams, type Params } from './params';

/** From, To, Contact, Route, Refer-To values: `"Name" <uri>;params` or `uri;params` (RFC 3261 20.10). */
export interface NameAddr {
  display?: string;
  uri: string;
  params: Params;
}

const TOKEN_WORDS = /^[!%*+\-.0-9A-Z_`a-z'~]+(?:\s+[!%*+\-.0-9A-Z_`a-z'~]+)*$/;

/**
 * Parse a name-addr or addr-spec. Returns null for what RFC 4475 says to reject:
 * an unterminated quoted display name (quotbal), an unquoted display name that is not
 * a token list (baddn), spaces inside an addr-spec (badaspec).
 */
export function parseNameAddr(value: string): NameAddr | null {
  const s = value.trim();
  if (s === '*') return { uri: '*', params: new Map() };
  let display: string | undefined;
  let rest = s;
  if (rest.startsWith('"')) {
    let i = 1;
    for (; i < rest.length; i++) {
      if (rest[i] === '\\') i++;
      else if (rest[i] === '"') break;
    }
    if (i >= rest.length) return null;
    display = rest.slice(1, i);
    rest = rest.slice(i + 1).trimStart();
    if (!rest.startsWith('<')) return null;
  }
  const lt = rest.indexOf('<');
  if (lt !== -1) {
    const before = rest.slice(0, lt).trim();
    if (display === undefined && before !== '') {
      if (!TOKEN_WORDS.test(before)) return null;
      display = before;
    }
    const gt = rest.indexOf('>', lt);
    if (gt === -1) return null;
    const uri = rest.slice(lt + 1, gt).trim();
    if (uri === '' || /\s/.test(uri)) return null;
    const params = parseParams(rest.slice(gt + 1));
    if (!params) return null;
    return { display, uri, params };
  }
  // addr-spec: the URI may not contain ',', '?' or ';' unquoted (RFC 3261 20.10), so
  // everything after the first ';' is header params.
  const semi = rest.indexOf(';');
  const uri = (semi === -1 ? rest : rest.slice(0, semi)).trim();
  if (uri === '' || /\s/.test(uri) || uri.includes('?')) return null;
  const params = parseParams(semi === -1 ? '' : rest.slice(semi));
  if (!params) return null;
  return { uri, params };
}

/** The tag param of a From/To value; on the hot path, so no full parse. */
export function tagOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const gt = value.lastIndexOf('>');
  const m = /;\s*tag\s*=\s*([^;\s,]+)/i.exec(gt === -1 ? value : value.slice(gt));
  return m ? m[1] : undefined;
}

/** Add a tag param to a From/To value that has none. */
export function withTag(value: string, tag: string): string {
  return `${value};tag=${tag}`;
}
