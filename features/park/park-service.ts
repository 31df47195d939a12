import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import { randomBytes } from 'node:crypto';
import { attachMediaServer, modifyWithRetry, opposite, snapshotOf, type Call, type CallManager, type MediaServerLeg, type Side } from '../../lib/calls';
import type { MediaAnchor, MusicTarget } from '../../lib/media';
import type { SlotAnnouncer } from './announcement';
import { slotsOf, type ParkLotStore } from './lot';
import type { ParkedEntry, SlotStore } from './slots';

/** A registered phone of a user: where to send the INVITE, and the next hop behind NAT. */
export interface PhoneTarget {
  uri: string;
  proxy?: string;
}

export interface ParkServiceDeps {
  /** the registered contacts of a user */
  phones(tenant: string, user: string): Promise<PhoneTarget[]>;
  srf: Srf;
  media: MediaAnchor;
  calls: CallManager;
  lots: ParkLotStore;
  slots: SlotStore;
  logger: Logger;
  instanceId: string;
  /** this instance's internal retrieve service for a slot (RETRIEVE_USER) */
  ownerUri?(tenant: string, slot: string): string;
  music(tenant: string, mohClass: string): Promise<MusicTarget>;
  /** the slot as it stands once a dead owner's call is taken over (ParkTakeover.settle) */
  settle?(e: ParkedEntry): Promise<ParkedEntry | undefined>;
  /** the slot announcement to the parker; none: the parker is released at once */
  announcer?: SlotAnnouncer;
  /** a slot was taken or freed (BLF) */
  changed?(tenant: string, slot: string, entry: ParkedEntry | undefined): void;
}

interface Parked {
  call: Call;
  side: Side;
  slot: string;
  leg: MediaServerLeg;
  timer: NodeJS.Timeout;
}

export class ParkError extends Error {
  constructor(readonly code: 'full' | 'taken' | 'no-slot' | 'not-answered' | 'music', message: string) {
    super(message);
  }
}

/** Bounds on waiting for the announcement: whatever rtpengine says, and a little after it. */
const MAX_ANNOUNCEMENT_MS = 10_000;
const ANNOUNCEMENT_TAIL_MS = 300;

/** Resolves after `ms`, or earlier when the dialog ends (the far end hung up). */
function untilEndedOr(dialog: Srf.Dialog, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      dialog.off('destroy', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    dialog.on('destroy', done);
  });
}

/** How long a slot key outlives the park timeout, so a dead instance's slot still frees itself. */
const SLOT_GRACE_MS = 30_000;

/**
 * Call park (service example "Call Park"): the parked party is re-targeted to music
 * (lib/calls third-party control), the parker released, the slot held in Redis until a
 * retrieve, the parked party's hang-up, or the timeout.
 */
export class ParkService {
  private readonly parked = new Map<string, Parked>();
  /** parkers hearing their slot before they are released */
  private readonly releasing = new Set<Promise<void>>();

  constructor(private readonly deps: ParkServiceDeps) {}

  /** Parks `side` of the call in `slot` (or the first free slot); the other party is released. */
  async park(call: Call, side: Side, wanted?: string, beforeRelease?: (slot: string) => Promise<void>): Promise<string> {
    if (call.state !== 'answered' || !call.dialog(side)) throw new ParkError('not-answered', 'only an answered call can be parked');
    const lot = await this.deps.lots.get(call.tenant);
    const all = slotsOf(lot);
    if (wanted !== undefined && !all.includes(wanted)) throw new ParkError('no-slot', `${wanted} is not a slot of the park lot`);
    const parker = call[opposite(side)].user;
    const now = Date.now();
    const musicMediaId = `ms-${call.id}-${randomBytes(3).toString('hex')}`;
    const slot = await this.deps.slots.take(call.tenant, wanted ? [wanted] : all, {
      callId: call.id, instanceId: this.deps.instanceId, ownerUri: this.deps.ownerUri?.(call.tenant, '{slot}'), tenant: call.tenant, parkedUser: call[side].user, parker,
      parkedAt: now, timeoutAt: now + lot.timeout * 1000,
      // what another instance needs to keep the call parked if this one dies (ParkTakeover)
      side, dialog: snapshotOf(call.dialog(side) as Srf.Dialog), musicMediaId,
    }, lot.timeout * 1000 + SLOT_GRACE_MS);
    if (!slot) throw wanted ? new ParkError('taken', `slot ${wanted} is taken`) : new ParkError('full', 'the park lot is full');
    let leg: MediaServerLeg;
    try {
      const music = await this.deps.music(call.tenant, lot.mohClass);
      leg = await attachMediaServer(this.deps.srf, this.deps.media, call, side, music, { mediaCallId: musicMediaId });
    } catch (err) {
      await this.deps.slots.free(call.tenant, slot, call.id);
      throw new ParkError('music', `the parked party could not be put on music: ${(err as Error).message}`);
    }
    // RFC 3515 / REST: the parker leaves the call now, so hanging up while it hears the
    // slot no longer ends the parked party's call; its leg ends after the announcement
    const old = call.mediaCallId;
    const parkerTag = call.tag(opposite(side));
    const parkerDialog = this.deps.calls.detach(call, opposite(side));
    this.keep({ call, side, slot, leg }, now + lot.timeout * 1000);
    call.log.info('call parked', { slot, parker });
    this.deps.changed?.(call.tenant, slot, await this.deps.slots.get(call.tenant, slot));
    const done = this.releaseParker(call, slot, old, parkerTag, parkerDialog, lot.announce, beforeRelease);
    this.releasing.add(done);
    void done.finally(() => this.releasing.delete(done));
    return slot;
  }

  /** Calls parked on this instance. */
  get size(): number {
    return this.parked.size;
  }

  /** Whether this instance holds the parked call `callId`. */
  holds(callId: string): boolean {
    return this.parked.has(callId);
  }

  /** Holds a parked call until retrieve, hang-up or `timeoutAt` (a call parked here, or taken over from a dead instance). */
  keep(p: Omit<Parked, 'timer'>, timeoutAt: number): void {
    const timer = setTimeout(() => void this.timeout(p.call.id), Math.max(0, timeoutAt - Date.now()));
    this.parked.set(p.call.id, { ...p, timer });
  }

  /**
   * The parker hears "your call is parked at <slot>" (rtpengine play media on the call's
   * old session, which now holds only the parker), then is told (REFER: the NOTIFY) and
   * released with a BYE. Hanging up during the announcement just ends it sooner.
   */
  private async releaseParker(call: Call, slot: string, mediaCallId: string, tag: string, dialog: Srf.Dialog | undefined,
    announce: boolean, beforeRelease?: (slot: string) => Promise<void>): Promise<void> {
    if (dialog && announce && this.deps.announcer) {
      try {
        const a = this.deps.announcer.announce(slot);
        const played = await this.deps.media.playMedia({ callId: mediaCallId, fromTag: tag, blob: a.wav });
        await untilEndedOr(dialog, Math.min(played.durationMs ?? a.durationMs, MAX_ANNOUNCEMENT_MS) + ANNOUNCEMENT_TAIL_MS);
      } catch (err) {
        call.log.warn('park: the slot announcement failed', { slot, error: (err as Error).message });
      }
    }
    await beforeRelease?.(slot).catch((err: Error) => call.log.warn('park: telling the parker failed', { error: err.message }));
    if (dialog) await Promise.resolve(dialog.destroy()).catch((err: Error) => call.log.info('park: BYE to the parker', { error: err.message }));
    await this.deps.media.delete({ callId: mediaCallId }).catch((err: Error) => call.log.warn('park: old media session', { error: err.message }));
  }

  /**
   * Connects the retriever's INVITE to the call parked in `slot`: one re-INVITE moves the
   * parked party from the music to a new media session with the retriever; the music leg
   * ends. Returns false if the slot holds no call this instance can hand over.
   */
  async retrieve(tenant: string, slot: string, req: Srf.SrfRequest, res: Srf.SrfResponse, retriever: string): Promise<boolean> {
    const entry = await this.deps.slots.get(tenant, slot);
    const p = entry ? this.parked.get(entry.callId) : undefined;
    if (!entry || !p) return false;
    if (!(await this.deps.slots.free(tenant, slot, entry.callId))) return false;
    clearTimeout(p.timer);
    this.parked.delete(entry.callId);
    this.deps.changed?.(tenant, slot, undefined);
    const { call, side, leg } = p;
    const dialog = call.dialog(side);
    if (!dialog || !req.body) {
      await leg.release();
      return false;
    }
    const fromTag = /;\s*tag=([^;\s]+)/.exec(req.get('From'))?.[1] ?? '';
    const mediaCallId = `rt-${call.id}-${Date.now()}`;
    const offer = await this.deps.media.offer({ callId: mediaCallId, fromTag, sdp: req.body });
    const answer = await modifyWithRetry(dialog, offer);
    const back = await this.deps.media.answer({ callId: mediaCallId, fromTag, toTag: call.tag(side), sdp: answer });
    const uas = await this.deps.srf.createUAS(req, res, { localSdp: back });
    await leg.release();
    call.mediaCallId = mediaCallId;
    this.deps.calls.adopt(call, opposite(side), uas, {
      user: retriever, tenant, callId: req.get('Call-ID'), tag: fromTag, uri: `sip:${retriever}@${tenant}`,
    });
    call.log.info('parked call retrieved', { slot, retriever });
    return true;
  }

  /** The parked party hung up: the slot is free at once. */
  async ended(call: Call): Promise<void> {
    const p = this.parked.get(call.id);
    if (!p) return;
    this.parked.delete(call.id);
    clearTimeout(p.timer);
    await this.deps.slots.free(call.tenant, p.slot, call.id);
    this.deps.changed?.(call.tenant, p.slot, undefined);
    await p.leg.release();
  }

  async list(tenant: string): Promise<ParkedEntry[]> {
    const out: ParkedEntry[] = [];
    for (const e of await this.deps.slots.list(tenant, slotsOf(await this.deps.lots.get(tenant)))) {
      const settled = this.deps.settle ? await this.deps.settle(e) : e;
      if (settled) out.push(settled);
    }
    return out;
  }

  /**
   * Nobody came within the lot's timeout: the call comes back to the parker (Caller-ID:
   * the parked party); if the parker does not answer, to the lot's fallback; else it is
   * hung up with a log line.
   */
  private async timeout(callId: string): Promise<void> {
    const p = this.parked.get(callId);
    if (!p) return;
    if (!(await this.deps.slots.free(p.call.tenant, p.slot, callId))) return;
    this.parked.delete(callId);
    this.deps.changed?.(p.call.tenant, p.slot, undefined);
    const lot = await this.deps.lots.get(p.call.tenant);
    const parker = p.call[opposite(p.side)].user;
    for (const user of [parker, lot.fallback].filter((u): u is string => !!u)) {
      p.call.log.info('park timeout: calling back', { slot: p.slot, to: user });
      if (await this.connect(p, user, lot.comebackTimeout * 1000)) return;
    }
    p.call.log.warn('park timeout: nobody took the call back; hanging up', { slot: p.slot, parker, fallback: lot.fallback });
    await p.leg.release();
    this.deps.calls.hangup(callId, 'park-timeout');
  }

  /**
   * REST retrieve (POST /v1/parks/{slot}/retrieve): calls `to`, and bridges the parked
   * call to it on answer. False if nothing is parked there (or `to` did not answer: the
   * call is then parked in the same slot again).
   */
  async retrieveTo(tenant: string, slot: string, to: string, ringMs: number): Promise<'ok' | 'empty' | 'no-answer'> {
    const entry = await this.deps.slots.get(tenant, slot);
    const p = entry ? this.parked.get(entry.callId) : undefined;
    if (!entry || !p) return 'empty';
    if (!(await this.deps.slots.free(tenant, slot, entry.callId))) return 'empty';
    clearTimeout(p.timer);
    this.parked.delete(entry.callId);
    if (await this.connect(p, to, ringMs)) {
      this.deps.changed?.(tenant, slot, undefined);
      return 'ok';
    }
    // nobody answered: back into its slot, the timeout running again
    const lot = await this.deps.lots.get(tenant);
    const now = Date.now();
    await this.deps.slots.take(tenant, [slot], { ...entry, parkedAt: now, timeoutAt: now + lot.timeout * 1000 }, lot.timeout * 1000 + SLOT_GRACE_MS);
    p.timer = setTimeout(() => void this.timeout(p.call.id), lot.timeout * 1000);
    this.parked.set(p.call.id, p);
    return 'no-answer';
  }

  /**
   * Rings `user`'s phones (third-party call control, RFC 3725 4.1: the phone's offer in
   * its 200, the parked party's answer in the ACK) and, on answer, hands the parked
   * party over: one re-INVITE moves it off the music. False if nobody answered in time.
   */
  private async connect(p: Parked, user: string, ringMs: number): Promise<boolean> {
    const { call, side } = p;
    const phones = await this.deps.phones(call.tenant, user);
    const parked = call[side];
    for (const phone of phones) {
      let invite: Srf.SrfRequest | undefined;
      const timer = setTimeout(() => invite && (invite.cancel as unknown as () => void).call(invite), ringMs);
      try {
        const leg = await attachMediaServer(this.deps.srf, this.deps.media, call, side, phone.uri, {
          headers: { From: `"${parked.user}" <sip:${parked.user}@${call.tenant}>`, To: `<sip:${user}@${call.tenant}>` },
          proxy: phone.proxy,
          onRequest: (req) => (invite = req),
        });
        clearTimeout(timer);
        await p.leg.release();
        call.mediaCallId = leg.mediaCallId;
        this.deps.calls.adopt(call, opposite(side), leg.dialog, {
          user, tenant: call.tenant, callId: leg.dialog.sip.callId, tag: leg.dialog.sip.remoteTag, uri: `sip:${user}@${call.tenant}`,
        });
        call.log.info('parked call handed over', { to: user });
        return true;
      } catch (err) {
        clearTimeout(timer);
        call.log.info('no answer from a phone', { to: user, uri: phone.uri, error: (err as Error).message });
      }
    }
    return false;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.releasing]);
    for (const p of this.parked.values()) {
      clearTimeout(p.timer);
      await this.deps.slots.free(p.call.tenant, p.slot, p.call.id).catch(() => false);
    }
    this.parked.clear();
  }
}
