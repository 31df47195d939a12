/** `;name=value` parameter lists as used by Via, URIs and name-addrs (RFC 3261 25.1). */

export type Params = Map<string, string | null>;

/**
 * Parse `;a=1;b;c="x"`. Returns null when a parameter is empty (`;;`), which RFC 4475
 * 3.1.2.1 (badinv01) requires to be rejected.
 */
export function parseParams(text: string): Params | null {
  const params: Params = new Map();
  const s = text.trim();
  if (s === '') return params;
  if (!s.startsWith(';')) return null;
  for (const part of splitParams(s.slice(1))) {
    const p = part.trim();
    if (p === '') return null;
    const eq = p.indexOf('=');
    if (eq === -1) params.set(p.toLowerCase(), null);
    else {
      const name = p.slice(0, eq).trim().toLowerCase();
      const value = p.slice(eq + 1).trim();
      if (name === '') return null;
      params.set(name, value);
    }
  }
  return params;
}

function splitParams(s: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ';') {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

export function formatParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}
