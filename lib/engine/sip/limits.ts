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
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxMessage: 65535,
  maxStartLine: 4096,
  maxHeaderLine: 8192,
  maxHeaders: 256,
};
