import { isIP } from 'node:net';
import { MixerError } from './mixer-error';
import type { G711PayloadType } from '../../../lib/media/audio/g711';

/** What the worker needs to start: plain data, so it crosses the thread boundary as is. */
export interface MixerEngineOptions {
  /** local IP address every member's RTP socket binds (and the SDP advertises) */
  host: string;
  /** RTP port range, inclusive; members get even ports only (RFC 3550 11), RTCP is not bound */
  portMin: number;
  portMax: number;
  /** jitter buffer playout delay in 20 ms frames; default 2 */
  playoutFrames?: number;
  /** a frame sent later than this after its due time counts as late; default 5 ms */
  lateAfterMs?: number;
  /** slots the 20 ms period is cut into, each bridge mixing in one (PhaseSlots); default 10 */
  phases?: number;
}

/** Where a member's audio goes, from the SDP answer (or learnt by latching). */
export interface RemoteEndpoint {
  address: string;
  port: number;
}

export interface AddMemberOptions {
  /** the codec the member's SDP chose: 0 = PCMU, 8 = PCMA (RFC 3551 table 4) */
  payloadType: G711PayloadType;
  /** the member's RTP address, if already known */
  remote?: RemoteEndpoint;
  /**
   * symmetric RTP (RFC 4961): after every remote change (this one, each setRemote), send to
   * the source of the next packet received, whatever the SDP said (NAT). Default false:
   * latch only while no remote is known.
   */
  latch?: boolean;
}

export interface SetRemoteOptions extends RemoteEndpoint {
  /** change the member's codec (a re-INVITE may) */
  payloadType?: G711PayloadType;
  /** change the member's latch mode (see AddMemberOptions); omitted: unchanged */
  latch?: boolean;
}

/** The local end of a member's RTP stream, for the SDP the lead engineer's side writes. */
export interface MemberInfo {
  address: string;
  port: number;
  /** our outgoing SSRC (RFC 3550 5.1) */
  ssrc: number;
}

export const DEFAULT_PLAYOUT_FRAMES = 2;
export const DEFAULT_LATE_AFTER_MS = 5;
/**
 * A send costs 10-20 us of the core (Node's dgram plus the kernel's loopback delivery),
 * so a 3-member bridge ~50 us: with 4 slots the 50 bridges of a slot at 200 bridges
 * take ~3 ms, which the last of them pays as lateness. 10 slots cut that to ~1 ms for
 * 300 more wakeups a second (the receive path runs most of them under load, TickClock).
 */
export const DEFAULT_PHASES = 10;
const MAX_PLAYOUT_FRAMES = 8;
/** at 10, a slot is 2 ms: finer than that, timer granularity (1 ms) makes it pointless */
const MAX_PHASES = 10;

/** Checks start options; throws E_MIXER_CONFIG naming the bad value. Returns them with defaults. */
export function checkEngineOptions(o: MixerEngineOptions): Required<MixerEngineOptions> {
  const bad = (why: string): never => {
    throw new MixerError('E_MIXER_CONFIG', `conference mixer: ${why}`);
  };
  if (typeof o.host !== 'string' || isIP(o.host) === 0) bad(`host ${String(o.host)} is not an IP address`);
  if (!isPort(o.portMin) || !isPort(o.portMax)) bad(`port range ${o.portMin}-${o.portMax} is not two ports 1-65535`);
  if (o.portMin > o.portMax) bad(`port range ${o.portMin}-${o.portMax} is inverted`);
  if (o.portMin === o.portMax && o.portMin % 2 === 1) bad(`port range ${o.portMin}-${o.portMax} holds no even port`);
  const playoutFrames = o.playoutFrames ?? DEFAULT_PLAYOUT_FRAMES;
  if (!Number.isInteger(playoutFrames) || playoutFrames < 1 || playoutFrames > MAX_PLAYOUT_FRAMES) {
    bad(`playoutFrames ${playoutFrames} is not 1-${MAX_PLAYOUT_FRAMES}`);
  }
  const lateAfterMs = o.lateAfterMs ?? DEFAULT_LATE_AFTER_MS;
  if (!(lateAfterMs > 0)) bad(`lateAfterMs ${lateAfterMs} is not positive`);
  const phases = o.phases ?? DEFAULT_PHASES;
  if (!Number.isInteger(phases) || phases < 1 || phases > MAX_PHASES) bad(`phases ${phases} is not 1-${MAX_PHASES}`);
  return { host: o.host, portMin: o.portMin, portMax: o.portMax, playoutFrames, lateAfterMs, phases };
}

export function checkPayloadType(pt: unknown): G711PayloadType {
  if (pt !== 0 && pt !== 8) throw new MixerError('E_MIXER_BAD_ARGUMENT', `payload type ${String(pt)} is not PCMU (0) or PCMA (8)`);
  return pt;
}

/** A remote must be an IP literal of the host's family: members' sockets send without DNS. */
export function checkRemote(r: RemoteEndpoint, host: string): RemoteEndpoint {
  if (!r || typeof r.address !== 'string' || isIP(r.address) === 0) {
    throw new MixerError('E_MIXER_BAD_ARGUMENT', `remote address ${String(r?.address)} is not an IP address`);
  }
  if (isIP(r.address) !== isIP(host)) throw new MixerError('E_MIXER_BAD_ARGUMENT', `cannot send to ${r.address} from ${host}`);
  if (!isPort(r.port)) throw new MixerError('E_MIXER_BAD_ARGUMENT', `remote port ${String(r.port)} is not 1-65535`);
  return { address: r.address, port: r.port };
}

export function checkId(kind: 'bridge' | 'member', id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw new MixerError('E_MIXER_BAD_ARGUMENT', `${kind} id must be a non-empty string`);
  return id;
}

function isPort(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;
}
