import { performance } from 'node:perf_hooks';
import { FramePacer } from '../../../lib/media/audio/frame-pacer';
import { Bridge } from './bridge';
import { JitterBuffer } from './jitter-buffer';
import { LatenessHistogram } from './lateness';
import { Member, type MemberDelegate } from './member';
import { MixerError } from './mixer-error';
import {
  checkEngineOptions, checkId, checkPayloadType, checkRemote,
  type AddMemberOptions, type MemberInfo, type MixerEngineOptions, type RemoteEndpoint, type SetRemoteOptions,
} from './mixer-options';
import { PhaseSlots } from './phase-slots';
import { PortPool, closeSocket } from './port-pool';
import type { MixerControl, MixerStats } from './protocol';
import { TickClock } from './tick-clock';

export const PTIME_MS = 20;
/** After a stall, catch up at most this many frames per bridge; older ones are skipped. */
const MAX_BURST_FRAMES = 3;

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta: Record<string, unknown>) => void;

type Totals = Omit<MixerStats, 'bridges' | 'members' | 'portsInUse' | 'portsTotal' | 'periodMs' | 'lateness' | 'wakeups' | 'packetsDropped'>;

const ZERO: Totals = {
  ticks: 0, ticksSkipped: 0, framesSkipped: 0, packetsIn: 0, packetsOut: 0, packetsIgnored: 0, packetsLate: 0, packetsDuplicate: 0, packetsTrimmed: 0, framesMissing: 0,
};

/**
 * The mixing engine, run inside the worker: every bridge, every member socket, and ONE
 * drift-free clock (TickClock) for all of them. The clock ticks once per phase slot
 * (`phases` per 20 ms, see PhaseSlots), so the wakeups do not grow with the number of
 * bridges; it runs only while there are members. Every datagram received first checks
 * the clock, so a due tick is mixed before the sockets are drained.
 */
export class MixerEngine implements MixerControl {
  private readonly opts: Required<MixerEngineOptions>;
  private readonly ports: PortPool;
  private readonly bridges = new Map<string, Bridge>();
  /** the same bridges, by slot of the period, for the tick loop */
  private readonly slots: PhaseSlots;
  private readonly members = new Map<string, Member>();
  /** member ids whose port is being bound */
  private readonly joining = new Set<string>();
  private readonly pacer: FramePacer;
  private readonly clock: TickClock;
  private readonly lateness: LatenessHistogram;
  /** when each tick started, against its due time: the timer's and the event loop's share of the lateness */
  private readonly wakeups: LatenessHistogram;
  private closed = false;
  /** counters of members that have left, and the totals at the last reset */
  private retired: Totals = { ...ZERO };
  private baseline: Totals = { ...ZERO };
  private clockTotals: Totals = { ...ZERO };
  private periodStart = performance.now();

  constructor(options: MixerEngineOptions, private readonly log: LogFn = () => {}) {
    this.opts = checkEngineOptions(options);
    this.ports = new PortPool(this.opts.host, this.opts.portMin, this.opts.portMax);
    this.slots = new PhaseSlots(this.opts.phases);
    // One tick per slot: tick t of the clock is phase t % phases of frame t / phases.
    this.pacer = new FramePacer(PTIME_MS / this.opts.phases, performance.now(), MAX_BURST_FRAMES * this.opts.phases);
    this.clock = new TickClock(this.pacer, this.tick);
    this.lateness = new LatenessHistogram(this.opts.lateAfterMs);
    this.wakeups = new LatenessHistogram(this.opts.lateAfterMs);
  }

  async addMember(bridgeId: string, memberId: string, opts: AddMemberOptions): Promise<MemberInfo> {
    this.checkOpen();
    checkId('bridge', bridgeId);
    checkId('member', memberId);
    const payloadType = checkPayloadType(opts?.payloadType);
    const remote = opts.remote === undefined ? undefined : checkRemote(opts.remote, this.opts.host);
    if (this.members.has(memberId) || this.joining.has(memberId)) throw new MixerError('E_MIXER_MEMBER_EXISTS', `member ${memberId} is already in a bridge`);
    this.joining.add(memberId);
    let bound;
    try {
      bound = await this.ports.take();
    } finally {
      this.joining.delete(memberId);
    }
    if (this.closed) {
      await closeSocket(bound.sock);
      throw new MixerError('E_MIXER_CLOSED', 'conference mixer closed');
    }
    const { sock, port } = bound;
    const jitter = new JitterBuffer({ playoutFrames: this.opts.playoutFrames });
    const member = new Member(memberId, bridgeId, port, sock, jitter, { payloadType, remote, latch: opts.latch }, this.memberEvents);
    this.members.set(memberId, member);
    let bridge = this.bridges.get(bridgeId);
    if (!bridge) {
      bridge = new Bridge(bridgeId);
      this.bridges.set(bridgeId, bridge);
      this.slots.add(bridge);
    }
    bridge.add(member);
    this.log('debug', 'conference member added', { bridgeId, memberId, port, payloadType, ssrc: member.ssrc });
    this.clock.start();
    return { address: this.opts.host, port, ssrc: member.ssrc };
  }

  async setRemote(memberId: string, remote: SetRemoteOptions): Promise<void> {
    this.checkOpen();
    const member = this.member(memberId);
    const target = checkRemote(remote, this.opts.host);
    const payloadType = remote.payloadType === undefined ? undefined : checkPayloadType(remote.payloadType);
    member.setRemote(target, payloadType, remote.latch === undefined ? undefined : remote.latch === true);
    this.log('debug', 'conference member remote', { bridgeId: member.bridgeId, memberId, ...target, payloadType: member.outPt });
  }

  async removeMember(memberId: string): Promise<void> {
    this.checkOpen();
    await this.drop(this.member(memberId));
  }

  async closeBridge(bridgeId: string): Promise<number> {
    this.checkOpen();
    const bridge = this.bridges.get(bridgeId);
    if (!bridge) return 0;
    const members = [...bridge.members];
    await Promise.all(members.map((m) => this.drop(m)));
    return members.length;
  }

  async stats(opts: { reset?: boolean } = {}): Promise<MixerStats> {
    const now = performance.now();
    const totals = this.totals();
    const d = {} as Totals;
    for (const k of Object.keys(ZERO) as Array<keyof Totals>) d[k] = totals[k] - this.baseline[k];
    const s: MixerStats = {
      bridges: this.bridges.size,
      members: this.members.size,
      portsInUse: this.ports.inUse,
      portsTotal: this.ports.size,
      periodMs: now - this.periodStart,
      ...d,
      packetsDropped: d.packetsIgnored + d.packetsLate + d.packetsDuplicate + d.packetsTrimmed,
      lateness: this.lateness.summary(),
      wakeups: this.wakeups.summary(),
    };
    if (opts.reset) {
      this.baseline = totals;
      this.lateness.reset();
      this.wakeups.reset();
      this.periodStart = now;
    }
    return s;
  }

  /** Stop the clock and free every socket; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.clock.stop();
    await Promise.all([...this.members.values()].map((m) => this.drop(m)));
  }

  private member(memberId: string): Member {
    const m = this.members.get(memberId);
    if (!m) throw new MixerError('E_MIXER_UNKNOWN_MEMBER', `no conference member ${String(memberId)}`);
    return m;
  }

  private checkOpen(): void {
    if (this.closed) throw new MixerError('E_MIXER_CLOSED', 'conference mixer closed');
  }

  private async drop(member: Member): Promise<void> {
    if (this.members.get(member.id) !== member) return;
    this.members.delete(member.id);
    const bridge = this.bridges.get(member.bridgeId);
    bridge?.remove(member);
    if (bridge && bridge.members.length === 0) {
      this.bridges.delete(bridge.id);
      this.slots.remove(bridge);
    }
    this.retired = addTotals(this.retired, memberTotals(member));
    if (this.members.size === 0) this.clock.stop();
    await member.close();
    this.ports.release(member.port); // only once the kernel has let go of it
    this.log('debug', 'conference member removed', { bridgeId: member.bridgeId, memberId: member.id, packetsIn: member.counters.packetsIn, packetsOut: member.counters.packetsOut });
  }

  private totals(): Totals {
    let t = addTotals(this.retired, this.clockTotals);
    for (const m of this.members.values()) t = addTotals(t, memberTotals(m));
    return t;
  }

  private readonly memberEvents: MemberDelegate = {
    onPacket: (): void => {
      this.clock.poll();
    },
    onLatch: (member: Member, remote: RemoteEndpoint): void => {
      this.log('debug', 'conference member latched', { bridgeId: member.bridgeId, memberId: member.id, ...remote });
    },
    onSocketError: (member: Member, err: Error): void => {
      this.log('warn', 'conference member socket error', { bridgeId: member.bridgeId, memberId: member.id, port: member.port, error: err.message });
    },
  };

  /** Mix each due tick's slot of bridges; `start` is when the clock ran (its wakeup). */
  private readonly tick = (ticks: readonly number[], skipped: number, start: number): void => {
    const phases = this.opts.phases;
    this.clockTotals.ticksSkipped += skipped;
    // the skipped ticks are the ones just before the first due one: their frames are never sent
    for (let t = ticks[0] - skipped; t < ticks[0]; t++) this.clockTotals.framesSkipped += this.slots.lists[t % phases].length;
    for (let i = 0; i < ticks.length; i++) {
      const t = ticks[i];
      const phase = t % phases;
      const frame = (t - phase) / phases;
      const due = this.pacer.epochMs + t * this.pacer.periodMs;
      const bridges = this.slots.lists[phase];
      this.wakeups.record(start - due);
      for (let b = 0; b < bridges.length; b++) {
        bridges[b].mix(frame);
        this.lateness.record(performance.now() - due);
      }
      this.clockTotals.ticks++;
    }
  };
}

function memberTotals(m: Member): Totals {
  const j = m.jitter.counters;
  const c = m.counters;
  return {
    ...ZERO,
    packetsIn: c.packetsIn, packetsOut: c.packetsOut, packetsIgnored: c.packetsIgnored,
    packetsLate: j.late, packetsDuplicate: j.duplicate, packetsTrimmed: j.trimmed, framesMissing: j.missing,
  };
}

function addTotals(a: Totals, b: Totals): Totals {
  const t = {} as Totals;
  for (const k of Object.keys(ZERO) as Array<keyof Totals>) t[k] = a[k] + b[k];
  return t;
}
