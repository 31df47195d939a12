import type { SerializedMixerError } from './mixer-error';
import type { LatenessSummary } from './lateness';
import type { AddMemberOptions, MemberInfo, MixerEngineOptions, SetRemoteOptions } from './mixer-options';

/** Counters since start (or since the last `stats({ reset: true })`). */
export interface MixerStats {
  bridges: number;
  members: number;
  /** RTP ports of the range in use / in the range */
  portsInUse: number;
  portsTotal: number;
  /** milliseconds the counters cover */
  periodMs: number;
  /** clock ticks (one per phase slot: 20 ms / phases) mixed, and skipped after a stall (their frames never sent) */
  ticks: number;
  ticksSkipped: number;
  /** bridge frames of the skipped ticks: never sent, so never in `lateness` (count them as late) */
  framesSkipped: number;
  packetsIn: number;
  packetsOut: number;
  /** what arrived but was never mixed: ignored (not G.711 RTP) + late + duplicate + trimmed */
  packetsDropped: number;
  packetsIgnored: number;
  packetsLate: number;
  packetsDuplicate: number;
  packetsTrimmed: number;
  /** member-ticks with nothing to play (lost, late, silent, or not yet primed) */
  framesMissing: number;
  /** one sample per bridge per tick: when its packets left, relative to the frame's due time */
  lateness: LatenessSummary;
  /** one sample per tick: when the tick started, relative to its due time (timer and event loop delay) */
  wakeups: LatenessSummary;
}

/**
 * The mixer's whole control surface, the same on both sides of the thread boundary: the
 * worker's engine implements it, and the main thread's ConferenceMixer forwards to it.
 */
export interface MixerControl {
  /** Join a member to a bridge (created on first use); binds its RTP port. */
  addMember(bridgeId: string, memberId: string, opts: AddMemberOptions): Promise<MemberInfo>;
  /** Where the member's audio goes (the SDP answer), optionally its codec and latching. */
  setRemote(memberId: string, remote: SetRemoteOptions): Promise<void>;
  /** Leave the bridge and free the port; the bridge goes when its last member does. */
  removeMember(memberId: string): Promise<void>;
  /** Remove every member of a bridge; resolves with how many there were (0: no such bridge). */
  closeBridge(bridgeId: string): Promise<number>;
  stats(opts?: { reset?: boolean }): Promise<MixerStats>;
}

export type MixerOp = keyof MixerControl;

export type MixerLogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Most verbose first: the worker posts a log line only at or above the main thread's level. */
export const LOG_LEVELS: readonly MixerLogLevel[] = ['debug', 'info', 'warn', 'error'];

/** What the worker starts with. */
export interface MixerWorkerData {
  options: MixerEngineOptions;
  /** the least severe level worth posting; undefined: post nothing (no logger) */
  logLevel?: MixerLogLevel;
}

/** main -> worker */
export interface MixerRequest {
  id: number;
  op: MixerOp | 'close';
  args: unknown[];
}

/** worker -> main */
export type MixerMessage =
  | { kind: 'ready' }
  /** the engine could not start (bad options): the worker exits after this */
  | { kind: 'fatal'; error: SerializedMixerError }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: SerializedMixerError }
  | { kind: 'log'; level: MixerLogLevel; message: string; meta: Record<string, unknown> };
