/**
 * The engine's bounds against hostile or broken peers (issue #13). Each one caps what a
 * source, a connection or a transaction can make the engine hold or do; every value is
 * an option so an operator can move it (and a benchmark can switch the rate limit off).
 */
export interface EngineLimits {
  /** new out-of-dialog requests per second per source IP; 0 turns the limit off */
  rateLimit: number;
  /** how many such requests a source may send at once before the rate applies */
  rateBurst: number;
  /** source IPs the rate limit never applies to (an edge proxy in front of the engine) */
  trustedSources: string[];
  /** sources whose buckets are kept; the least recently seen is forgotten beyond it */
  maxRateSources: number;
  /** live server transactions in all; a new request over it gets 503 statelessly */
  maxServerTransactions: number;
  /**
   * octets of the requests live server transactions hold (each keeps its request until
   * Timer J or I, 32 s over UDP); a new request that would pass it gets 503 statelessly.
   * The count alone let 20,000 near-64 KB fuzzed datagrams hold over a gigabyte.
   */
  maxServerTransactionBytes: number;
  /** a non-INVITE request an app was given and has not answered within this gets 500 */
  appTimeoutMs: number;
  /** an INVITE an app was given and has not answered finally within this gets 408 */
  inviteAppTimeoutMs: number;
  /** TCP connections per source IP */
  tcpMaxPerSource: number;
  /** TCP connections in all */
  tcpMaxTotal: number;
  /** a TCP connection a peer opened must bring a complete message within this */
  tcpFirstMessageMs: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  rateLimit: 200,
  rateBurst: 400,
  trustedSources: [],
  maxRateSources: 10000,
  maxServerTransactions: 20000,
  maxServerTransactionBytes: 32 * 1024 * 1024,
  // RFC 3261 17.1.2.2: the client gives up on a non-INVITE after 64*T1 (32 s by default)
  appTimeoutMs: 32000,
  // RFC 3261 16.6 step 11: a proxy's Timer C (more than 3 minutes) ends an INVITE that
  // got a provisional but no final; the same order of time here
  inviteAppTimeoutMs: 180000,
  tcpMaxPerSource: 32,
  tcpMaxTotal: 4096,
  tcpFirstMessageMs: 5000,
};
