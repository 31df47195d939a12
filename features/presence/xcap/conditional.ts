/**
 * Conditional requests (RFC 4825 7.11 with RFC 7232 3.1, 3.2, 6): one document ETag
 * guards the document and every element and attribute in it.
 */

export type Precondition = 'ok' | 'failed' | 'not-modified';

const MAX_TAGS = 32;

/** The entity tags of an If-Match / If-None-Match value, or '*' (bounded: at most MAX_TAGS). */
function tags(value: string): string[] | '*' {
  if (value.trim() === '*') return '*';
  const out: string[] = [];
  // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc excludes '"', so commas inside are impossible
  for (const part of value.split(',', MAX_TAGS)) {
    const t = part.trim();
    if (t) out.push(t);
  }
  return out;
}

const weak = (t: string): string => (t.startsWith('W/') ? t.slice(2) : t);

/**
 * The outcome of the preconditions against the document's current ETag (undefined:
 * no document). RFC 7232 3.1: If-Match uses the strong comparison, so a weak tag never
 * matches; 3.2: If-None-Match the weak one, and a GET it fails is 304, not 412.
 */
export function evaluate(method: string, current: string | undefined, ifMatch: string | undefined, ifNoneMatch: string | undefined): Precondition {
  if (ifMatch !== undefined) {
    const t = tags(ifMatch);
    if (current === undefined) return 'failed';
    if (t !== '*' && !t.includes(current)) return 'failed';
  }
  if (ifNoneMatch !== undefined) {
    const t = tags(ifNoneMatch);
    const hit = current !== undefined && (t === '*' || t.some((x) => weak(x) === current));
    if (hit) return method === 'GET' || method === 'HEAD' ? 'not-modified' : 'failed';
  }
  return 'ok';
}
