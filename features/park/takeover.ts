import type { Logger } from 'winston';
import { opposite, resumeCseq, resumeOnMediaServer, snapshotOf, type Side } from '../../lib/calls';
import type { CallParty, CallRecord } from '../../lib/store';
import type { ParkService, ParkServiceDeps } from './park-service';
import type { ParkedEntry } from './slots';

/** The platform the park service has, plus what a takeover needs besides. */
export interface TakeoverDeps extends Pick<ParkServiceDeps, 'srf' | 'media' | 'calls' | 'lots' | 'slots' | 'logger' | 'instanceId' | 'music' | 'changed'> {
  /** this instance's internal retrieve service for a slot */
  ownerUri(tenant: string, slot: string): string;
  /** whether another instance is still running */
  alive(instanceId: string): Promise<boolean>;
  /** the call's record as its owner last saved it */
  record(callId: string): Promise<CallRecord | null>;
  /** the park service that holds the call from now on */
  park: Pick<ParkService, 'holds' | 'keep'>;
}

/** How often the instances with parked calls are checked for one that died. */
const SWEEP_MS = 1000;

/*
 * A parked call outlives the instance that parked it (issue: no parked call is lost when a
 * feature server is killed). The slot entry in Redis carries the parked party's dialog
 * (lib/calls/dialog-snapshot); when its owner is gone, the first instance to notice
 * claims the slot (one Redis script: exactly one wins), resumes the dialog from its own
 * engine with the music of the lot (RFC 3725 4.1 through the resuming re-INVITE), and
 * holds the call until retrieve, hang-up or the lot's timeout as if it had parked it.
 *
 *   owner running --owner gone (bus: no subscriber)--> claimed here --re-INVITE 2xx--> parked here
 *                                     |                      |
 *                                     +--claimed elsewhere   +--refused / no answer--> slot freed
 */
export class ParkTakeover {
  private readonly recovering = new Map<string, Promise<void>>();
  /** entries in this instance's name from before this process started belong to a dead predecessor */
  private readonly startedAt = Date.now();
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(private readonly deps: TakeoverDeps) {}

  /** Checks for dead owners every second until `stop`. */
  start(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * The slot as it stands with a running owner: if the call's owner died, it is taken
   * over first (here, or by whichever instance claims it first). Undefined: the slot is
   * empty now.
   */
  async settle(e: ParkedEntry): Promise<ParkedEntry | undefined> {
    if (!this.recovering.has(e.callId)) {
      if (!(await this.ownerGone(e))) return e;
      const done = this.recover(e).finally(() => this.recovering.delete(e.callId));
      this.recovering.set(e.callId, done);
    }
    await this.recovering.get(e.callId);
    return this.deps.slots.get(e.tenant, e.slot);
  }

  /** Takes over every call parked by an instance that is gone. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (const owner of await this.deps.slots.owners()) {
        if (owner !== this.deps.instanceId && (await this.deps.alive(owner))) continue;
        for (const e of await this.deps.slots.ownedBy(owner)) await this.settle(e);
      }
    } catch (err) {
      this.deps.logger.warn('park: looking for parked calls of dead instances failed', { error: (err as Error).message });
    } finally {
      this.sweeping = false;
    }
  }

  private async ownerGone(e: ParkedEntry): Promise<boolean> {
    if (e.instanceId === this.deps.instanceId) return e.parkedAt < this.startedAt && !this.deps.park.holds(e.callId);
    // while Redis restarts or fails over, subscriptions come back one by one and a running
    // instance can look gone: only an instance whose own subscription is in place judges
    return (await this.deps.alive(this.deps.instanceId)) && !(await this.deps.alive(e.instanceId));
  }

  private async recover(e: ParkedEntry): Promise<void> {
    const log = this.deps.logger.child({ call: e.callId, tenant: e.tenant, slot: e.slot, from: e.instanceId });
    let cseq: number;
    try {
      // the newest of: this slot's last takeover, the dialog's own last resume (a call taken
      // over, retrieved and parked again)
      cseq = resumeCseq(e.cseq ?? e.dialog?.cseq);
    } catch (err) {
      await this.drop(e, log, (err as Error).message);
      return;
    }
    if (!e.dialog || !e.side) {
      await this.drop(e, log, 'the slot keeps no dialog to resume');
      return;
    }
    const mine = await this.deps.slots.claim(e, this.deps.ownerUri(e.tenant, e.slot), cseq);
    if (!mine) return; // another instance was first
    const side = e.side;
    try {
      const lot = await this.deps.lots.get(e.tenant);
      const music = await this.deps.music(e.tenant, lot.mohClass);
      const { party, leg } = await resumeOnMediaServer(this.deps.srf, this.deps.media, e.dialog, cseq, side, music);
      if (e.musicMediaId) await this.deps.media.delete({ callId: e.musicMediaId }).catch(() => undefined);
      const parties = this.parties(e, await this.deps.record(e.callId).catch(() => null));
      const call = this.deps.calls.restore({ id: e.callId, tenant: e.tenant, ...parties, mediaCallId: leg.mediaCallId }, side, party);
      this.deps.park.keep({ call, side, slot: e.slot, leg }, e.timeoutAt);
      // the dialog as resumed here (its CSeq, the o= just sent) for whoever takes over next
      await this.deps.slots.patch(e.tenant, e.slot, e.callId, { dialog: snapshotOf(party) })
        .catch((err: Error) => log.warn('park: keeping the resumed dialog in the slot failed', { error: err.message }));
      this.deps.changed?.(e.tenant, e.slot, mine);
      log.warn('park: took over a call parked by an instance that is gone');
    } catch (err) {
      await this.drop(mine, log, `the parked party could not be resumed: ${(err as Error).message}`);
    }
  }

  /** The call's parties: as its owner saved them, else as the slot names them. */
  private parties(e: ParkedEntry, r: CallRecord | null): { caller: CallParty; callee: CallParty } {
    if (r) return { caller: r.caller, callee: r.callee };
    const side = e.side ?? 'callee';
    const party = (user: string, s: Side): CallParty => ({
      user, tenant: e.tenant, uri: `sip:${user}@${e.tenant}`,
      callId: s === side ? e.dialog?.callId ?? '' : '', tag: s === side ? e.dialog?.remoteTag ?? '' : '',
    });
    const parked = party(e.parkedUser, side);
    const parker = party(e.parker, opposite(side));
    return side === 'caller' ? { caller: parked, callee: parker } : { caller: parker, callee: parked };
  }

  private async drop(e: ParkedEntry, log: Logger, why: string): Promise<void> {
    log.warn('park: a call parked by an instance that is gone is lost; slot freed', { reason: why });
    if (await this.deps.slots.free(e.tenant, e.slot, e.callId, e.instanceId)) this.deps.changed?.(e.tenant, e.slot, undefined);
    if (e.musicMediaId) await this.deps.media.delete({ callId: e.musicMediaId }).catch(() => undefined);
  }
}
