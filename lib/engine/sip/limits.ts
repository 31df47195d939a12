/**
 * Bounds the parser enforces before it builds anything from network input, so the work
 * and memory one message costs are bounded whatever it contains (issue #13). RFC 3261
 * sets no limits of its own; these leave room for any real message (RFC 4475's longreq
 * has 53 lines, none over 600 octets) while a hostile one costs at most a few
 * hundred microseconds.
 */
export interface ParseLimits {
  /** the whole message, head and body (UDP: the datagram) */
  maxMessage: number;
  /** the request or status line; a longer Request-URI gets 414 (RFC 3261 21.4.12) */
  maxStartLine: number;
  /** one header line after unfolding (RFC 3261 7.3.1) */
  maxHeaderLine: number;
  /** header lines in one message */
  maxHeaders: number;
  /**
   * consecutive SP/HTAB in one header line. RFC 3261 7.3.1 makes any run of LWS mean one
   * SP, so nothing real needs a long one; drachtio-srf's own From/To/Contact parser
   * (parseAOR, which runs in the application on every such header) takes cubic time on
   * `<` followed by whitespace: 14 ms at 200 spaces, 13 s at 4,000. With runs of at most
   * 16 an 8 KB header costs it about 2 ms.
   */
  maxWhitespaceRun: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxMessage: 65535,
  maxStartLine: 4096,
  maxHeaderLine: 8192,
  maxHeaders: 256,
  maxWhitespaceRun: 16,
};

/** Whether `line` has more than `max` SP/HTAB characters in a row (one pass). */
export function hasLongWhitespaceRun(line: string, max: number): boolean {
  let run = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      if (++run > max) return true;
    } else {
      run = 0;
    }
  }
  return false;
}

/** `line` with every run of SP/HTAB replaced by one SP (one pass, no regular expression). */
export function collapseWhitespace(line: string): string {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) {
      i++;
      continue;
    }
    parts.push(line.slice(start, i), ' ');
    while (i < line.length && (line.charCodeAt(i) === 0x20 || line.charCodeAt(i) === 0x09)) i++;
    start = i;
  }
  parts.push(line.slice(start));
  return parts.join('');
}
