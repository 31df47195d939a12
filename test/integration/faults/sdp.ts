/** The o= line's session id and version of an SDP (RFC 4566 5.2), for RFC 3264 8 checks. */
export function sdpOriginOf(sdp: string): { id: string; version: bigint } {
  const line = sdp.split(/\r?\n/).find((l) => l.startsWith('o='));
  const f = line?.slice(2).split(' ') ?? [];
  if (f.length !== 6) throw new Error(`no o= line in ${JSON.stringify(sdp.slice(0, 200))}`);
  return { id: f[1]!, version: BigInt(f[2]!) };
}
