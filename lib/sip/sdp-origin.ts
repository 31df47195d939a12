/*
 * The o= line of the SDP one side of a dialog sends (RFC 4566 5.2:
 * `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`).
 *
 * RFC 3264 8: every later SDP in the session keeps the o= line of the first "except that
 * the version in the origin field MUST increment by one from the previous SDP"; an SDP
 * whose version did not move must be identical to the one sent with that version. A
 * B2BUA builds what it sends from whatever it is connecting the leg to (the other party,
 * a music server, a retriever), each with an o= of its own, so the server keeps one
 * origin per dialog side here and stamps every SDP it sends on that side with it.
 */

/** sess-id and sess-version are numbers of at most 64 bits in practice (RFC 4566 5.2 suggests NTP times). */
const DIGITS = /^[0-9]{1,20}$/;

/** The SDP without its o= line, lines as written (for "did the description change"). */
function withoutOrigin(sdp: string): string {
  return sdp.split('\n').filter((l) => !l.startsWith('o=')).join('\n');
}

function originLineOf(sdp: string): string | undefined {
  const line = sdp.split('\n').find((l) => l.startsWith('o='));
  return line?.endsWith('\r') ? line.slice(0, -1) : line;
}

export class SdpOrigin {
  private constructor(
    private readonly username: string,
    readonly sessionId: string,
    private version: bigint,
    private readonly rest: string,
    /** the last SDP stamped (sent) with this origin; undefined: unknown (restored from a snapshot) */
    private last?: string,
  ) {}

  /** An `o=` line parsed, or undefined if it is not one (6 fields, numeric id and version). */
  static parse(line: string): SdpOrigin | undefined {
    if (!line.startsWith('o=') || line.length > 1024) return undefined;
    const f = line.slice(2).trim().split(' ');
    if (f.length !== 6 || !DIGITS.test(f[1]) || !DIGITS.test(f[2])) return undefined;
    return new SdpOrigin(f[0], f[1], BigInt(f[2]), f.slice(3).join(' '));
  }

  /** The origin of an SDP already sent: the next stamp counts up from it. */
  static of(sdp: string | undefined): SdpOrigin | undefined {
    const line = sdp ? originLineOf(sdp) : undefined;
    const o = line ? SdpOrigin.parse(line) : undefined;
    if (o && sdp) o.last = sdp;
    return o;
  }

  /** The o= line as last sent. */
  get line(): string {
    return `o=${this.username} ${this.sessionId} ${this.version} ${this.rest}`;
  }

  /** The last SDP sent with this origin, if known. */
  get sent(): string | undefined {
    return this.last;
  }

  /**
   * `sdp` with this origin: the same line, the version one up unless the description is
   * the one last sent (RFC 3264 8). An SDP without an o= line is returned as it is.
   */
  stamp(sdp: string): string {
    const old = originLineOf(sdp);
    if (old === undefined) return sdp;
    if (this.last === undefined || withoutOrigin(sdp) !== withoutOrigin(this.last)) this.version += 1n;
    const line = this.line;
    const out = sdp.replace(old, () => line);
    this.last = out;
    return out;
  }
}

/** One origin per dialog side: the dialog objects of this process, the SDP we send on each. */
const origins = new WeakMap<object, SdpOrigin>();

/** A dialog as far as its origin goes: srf's `local.sdp` is the SDP that made it. */
export interface SdpDialog {
  local?: { sdp?: string };
}

function originOf(d: SdpDialog): SdpOrigin | undefined {
  let o = origins.get(d);
  if (!o) {
    o = SdpOrigin.of(d.local?.sdp);
    if (o) origins.set(d, o);
  }
  return o;
}

/** `sdp` as the next SDP we send on `d` (a re-INVITE offer, an answer to the far end's). */
export function stampFor(d: SdpDialog, sdp: string): string {
  const o = originOf(d);
  if (o) return o.stamp(sdp);
  // nothing sent on it yet that we know of: this one sets the origin
  const first = SdpOrigin.of(sdp);
  if (first) origins.set(d, first);
  return sdp;
}

/** `sdp` was the first SDP we sent on `d`, outside its INVITE (the ACK of RFC 3725 4.1, a resumed dialog). */
export function sentFirst(d: SdpDialog, sdp: string): void {
  const o = SdpOrigin.of(sdp);
  if (o) origins.set(d, o);
}

/** The SDP we last sent on `d` (RFC 3261 14.2: the offer an offerless re-INVITE gets). */
export function lastSentSdp(d: SdpDialog): string | undefined {
  return originOf(d)?.sent ?? d.local?.sdp;
}

/** The o= line we last sent on `d`, for a snapshot of the dialog (a takeover goes on from it). */
export function originLine(d: SdpDialog): string | undefined {
  return originOf(d)?.line;
}

/** `sdp` as the first SDP a new owner of a dialog sends, going on from the o= line the last owner sent. */
export function continueOrigin(line: string | undefined, sdp: string): string {
  const o = line ? SdpOrigin.parse(line) : undefined;
  return o ? o.stamp(sdp) : sdp;
}
