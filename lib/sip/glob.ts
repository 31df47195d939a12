/**
 * Patterns operators give for numbers and URIs (issue 17: no user regexes; screening
 * lists, outbound route destinations): a literal with `*` for any run of characters and
 * `?` for exactly one, e.g. `1900*` (a number prefix), `sip:*@spam.example`.
 * Matched by the two-pointer wildcard walk: when a `*` fails to stretch it only moves the
 * text forward, so a match costs at most pattern length x text length steps, never the
 * exponential backtracking a regex engine may take on `a*a*a*...b`. Both sides are
 * bounded (128 characters a pattern, a URI as the parser bounds it).
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** True when any pattern matches any of the texts. */
export function anyMatch(patterns: readonly string[], texts: readonly string[]): boolean {
  return patterns.some((p) => texts.some((t) => globMatch(p, t)));
}
