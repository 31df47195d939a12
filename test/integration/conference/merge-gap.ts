import { detectTone } from '../../support/goertzel';
import type { ReceivedFrame, TonePeer } from './tone-peer';

/** Frames of the talker in a row, through the bridge, after which the party hears the bridge. */
export const SETTLED_FRAMES = 25;

/**
 * What one remote party of a merge heard of the host, the party it was talking to before
 * (issue: "no media gap longer than ~200 ms").
 *
 * A frame carries the host when the host's tone is present in its 20 ms alone (Goertzel).
 * The party is modelled as a strict phone: from each SDP it receives on (its INVITE, then
 * the 3pcc re-INVITE that moves it into the bridge) it plays only RTP from the address that
 * SDP names (`ReceivedFrame.expected`), so what the old session still delivers after its
 * re-INVITE does not count. The gap is the longest time between the arrivals of two
 * consecutive frames it plays that carry the host (20 ms when nothing is missing), from the
 * last such frame before the merge started until it has heard the host through the bridge
 * (the source of its re-INVITE's SDP) for SETTLED_FRAMES frames in a row. Everything the
 * party hears in between (the other member, silence from the bridge) does not end the gap:
 * the conversation it was in is what is interrupted.
 *
 * `anySourceMs` is the same over every frame whatever its source (a phone that plays any
 * RTP reaching its port): reported, not asserted.
 */
export interface MergeGap {
  /** the gap as defined above, ms */
  gapMs: number;
  anySourceMs: number;
  /** when the party's re-INVITE arrived, ms after the merge started */
  movedAtMs: number;
  settled: boolean;
}

export function mergeGap(peer: TonePeer, hostHz: number, mergeStart: number, carries = toneCache(hostHz)): MergeGap {
  const moved = peer.moves.length > 1 ? peer.moves[peer.moves.length - 1] : undefined;
  const played = peer.frames.filter((f) => f.expected && carries(f));
  const any = peer.frames.filter(carries);
  const result = { gapMs: Infinity, anySourceMs: Infinity, movedAtMs: moved ? moved.at - mergeStart : NaN, settled: false };
  if (!moved?.to) return result;
  // the first of SETTLED_FRAMES frames in a row, played and carrying the host, from the bridge
  const to = moved.to;
  let run = 0;
  let end: ReceivedFrame | undefined;
  for (const f of peer.frames.filter((x) => x.at >= moved.at && x.expected)) {
    const bridged = f.from.address === to.address && f.from.port === to.port && carries(f);
    run = bridged ? run + 1 : 0;
    if (run === 1) end = f;
    if (run === SETTLED_FRAMES) break;
  }
  if (run < SETTLED_FRAMES || !end) return result;
  const longest = (frames: ReceivedFrame[], last: ReceivedFrame): number => {
    const before = frames.filter((f) => f.at < mergeStart);
    if (before.length === 0) return Infinity;
    let gap = 0;
    let prev = before[before.length - 1].at;
    for (const f of frames) {
      if (f.at <= prev) continue;
      if (f.at > last.at) break;
      gap = Math.max(gap, f.at - prev);
      prev = f.at;
    }
    return gap;
  };
  return { ...result, settled: true, gapMs: longest(played, end), anySourceMs: longest(any, end) };
}

/** Whether a frame carries `hz`, computed once per frame. */
export function toneCache(hz: number): (f: ReceivedFrame) => boolean {
  const seen = new WeakMap<ReceivedFrame, boolean>();
  return (f) => {
    let v = seen.get(f);
    if (v === undefined) {
      v = detectTone(f.pcm, hz).verdict === 'present';
      seen.set(f, v);
    }
    return v;
  };
}

/** Resolves once `peer` hears the host for SETTLED_FRAMES frames through its bridge leg. */
export async function settledGap(peer: TonePeer, hostHz: number, mergeStart: number, timeoutMs = 8000): Promise<MergeGap> {
  const carries = toneCache(hostHz);
  await peer.until(() => mergeGap(peer, hostHz, mergeStart, carries).settled, timeoutMs, `host tone (${hostHz} Hz) through the bridge`);
  return mergeGap(peer, hostHz, mergeStart, carries);
}

/** Resolves once `peer` plays `count` frames in a row carrying `hz` (before a merge: the call works). */
export async function hearing(peer: TonePeer, hz: number, count = 10, timeoutMs = 5000): Promise<void> {
  const carries = toneCache(hz);
  await peer.until(() => {
    const last = peer.frames.slice(-count);
    return last.length === count && last.every((f) => f.expected && carries(f));
  }, timeoutMs, `${count} frames of ${hz} Hz`);
}

/**
 * The machine's own noise, the reference a merge's gap is judged against on a shared,
 * loaded host: the longest time between two consecutive frames carrying `hz` that `peer`
 * plays over the next `frames` frames, with no merge going on (20 ms on a quiet machine;
 * more where rtpengine, the mixer or this process were held up).
 */
export async function noiseGap(peer: TonePeer, hz: number, frames = 100, timeoutMs = 10000): Promise<number> {
  const carries = toneCache(hz);
  const from = peer.frames.length;
  await peer.until(() => peer.frames.length - from >= frames, timeoutMs, `${frames} frames to measure the noise`);
  const heard = peer.frames.slice(from).filter((f) => f.expected && carries(f));
  let gap = 0;
  for (let i = 1; i < heard.length; i++) gap = Math.max(gap, heard[i].at - heard[i - 1].at);
  return heard.length > 1 ? gap : Infinity;
}
