import type Srf from 'drachtio-srf';
import type { Logger } from 'winston';
import { randomBytes } from 'node:crypto';
import { answerInvite, attachMediaServer, modifyWithRetry, opposite, rejoinMediaServer, RingStepRun, snapshotOf, type Call, type CallManager, type MediaServerLeg, type Side } from '../../lib/calls';
import type { MediaAnchor, MusicTarget } from '../../lib/media';
import { hangUp, isConnected } from '../../lib/sip/hang-up';
import { withDirection } from '../../lib/sip/hold';
import { respond } from '../../lib/sip/respond';
import type { SlotAnnouncer } from './announcement';
import { slotsOf, type ParkLotStore } from './lot';
import type { ParkedEntry, SlotStore } from './slots';
import { SlotMachine } from './slot-state';
import { releaseParker } from './release-parker';

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
  /** where the call is in its slot's life (slot-state.ts) */
  state: SlotMachine;
  timeoutAt: number;
  timer: NodeJS.Timeout;
}

/** What a REST retrieve came to. */
export type RetrieveOutcome = 'ok' | 'empty' | 'busy' | 'no-answer';

interface SipError {
  status?: number;
}

export class ParkError extends Error {
  constructor(readonly code: 'full' | 'taken' | 'no-slot' | 'not-answered' | 'music', message: string) {
    super(message);
  }
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
    // From here on nothing the parker sends may reach the parked party: rtpengine keeps
    // relaying the call's old session to the parked party's address (its port stays the
    // same on music) until the session ends after the announcement, and it does not
    // enforce a=sendonly (as features/moh does for a holder).
    const silence = { callId: call.mediaCallId, fromTag: call.tag(opposite(side)) };
    let leg: MediaServerLeg;
    try {
      await this.deps.media.blockMedia(silence);
      const music = await this.deps.music(call.tenant, lot.mohClass);
      leg = await attachMediaServer(this.deps.srf, this.deps.media, call, side, music, { mediaCallId: musicMediaId });
    } catch (err) {
      await this.deps.media.unblockMedia(silence).catch((e: Error) => call.log.warn('park: unblocking the parker failed', { error: e.message }));
      await this.deps.slots.free(call.tenant, slot, call.id);
      throw new ParkError('music', `the parked party could not be put on music: ${(err as Error).message}`);
    }
    if (call.is('ended') || !call.dialog(side)) {
      // a BYE crossed the park (issue #14): the call's end found nothing parked to free,
      // so the slot and the music go here, or they stay taken until the timeout
      await leg.release().catch((e: Error) => call.log.warn('park: releasing the music failed', { error: e.message }));
      await this.deps.slots.free(call.tenant, slot, call.id).catch(() => false);
      throw new ParkError('not-answered', 'the call ended while it was parked');
    }
    // held from this tick on, so a hang-up from now on finds the call parked (ended())
    this.keep({ call, side, slot, leg }, now + lot.timeout * 1000);
    await this.remember(call, side, slot);
    // RFC 3515 / REST: the parker leaves the call now, so hanging up while it hears the
    // slot no longer ends the parked party's call; its leg ends after the announcement
    const old = call.mediaCallId;
    const parkerTag = call.tag(opposite(side));
    const parkerDialog = this.deps.calls.detach(call, opposite(side));
    call.log.info('call parked', { slot, parker });
    this.deps.changed?.(call.tenant, slot, await this.deps.slots.get(call.tenant, slot));
    const done = releaseParker({ media: this.deps.media, announcer: lot.announce ? this.deps.announcer : undefined },
      { call, slot, mediaCallId: old, tag: parkerTag, dialog: parkerDialog, beforeRelease });
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
  keep(p: Pick<Parked, 'call' | 'side' | 'slot' | 'leg'>, timeoutAt: number): void {
    const state = new SlotMachine();
    state.to('parked');
    this.parked.set(p.call.id, { ...p, state, timeoutAt, timer: this.arm(p.call, timeoutAt) });
  }

  private arm(call: Call, at: number): NodeJS.Timeout {
    return setTimeout(() => void this.timeout(call.id).catch((err: Error) => call.log.error('park: timeout failed', { error: err.message })),
      Math.max(0, at - Date.now()));
  }

  /**
   * A retrieve starts: 'busy' if another one runs (the loser of two gets 486 / 409),
   * 'gone' if the call left the slot meanwhile. The slot stays taken in Redis, marked.
   */
  private async begin(p: Parked): Promise<'ok' | 'busy' | 'gone'> {
    if (p.state.state === 'retrieving') return 'busy';
    if (!p.state.try('retrieving')) return 'gone';
    await this.deps.slots.patch(p.call.tenant, p.slot, p.call.id, { retrieving: true })
      .catch((err: Error) => p.call.log.warn('park: marking the slot as being retrieved failed', { error: err.message }));
    return 'ok';
  }

  /**
   * A retrieve failed: the call is parked as before, its timeout running (at once if it
   * came while the retrieve ran), or from `restart` on (a REST retrieve nobody answered).
   */
  private async backToParked(p: Parked, restart?: { timeoutAt: number; ttlMs: number }): Promise<void> {
    const now = Date.now();
    const d = p.call.dialog(p.side);
    await this.deps.slots.patch(p.call.tenant, p.slot, p.call.id,
      { retrieving: false, ...(d ? { dialog: snapshotOf(d) } : {}), ...(restart ? { parkedAt: now, timeoutAt: restart.timeoutAt } : {}) }, restart?.ttlMs)
      .catch((err: Error) => p.call.log.warn('park: unmarking the slot failed', { error: err.message }));
    if (!p.state.try('parked')) return; // the parked party hung up meanwhile
    if (restart) p.timeoutAt = restart.timeoutAt;
    clearTimeout(p.timer);
    p.timer = this.arm(p.call, p.timeoutAt);
  }

  /**
   * The slot keeps the parked party's dialog as it now stands (the o= line of the
   * re-INVITE just sent, RFC 3264 8), so an instance that takes the call over goes on
   * from there.
   */
  private async remember(call: Call, side: Side, slot: string): Promise<void> {
    const d = call.dialog(side);
    if (!d) return;
    await this.deps.slots.patch(call.tenant, slot, call.id, { dialog: snapshotOf(d) })
      .catch((err: Error) => call.log.warn('park: keeping the dialog in the slot failed', { error: err.message }));
  }

  /**
   * A retrieve succeeded: the call leaves its slot for good. Everything up to the slot's
   * release happens in the tick of the call (an async function runs to its first await),
   * so a hang-up right after finds nothing parked.
   */
  private async finish(p: Parked): Promise<void> {
    p.state.to('retrieved');
    clearTimeout(p.timer);
    this.parked.delete(p.call.id);
    if (await this.deps.slots.free(p.call.tenant, p.slot, p.call.id).catch(() => false)) this.deps.changed?.(p.call.tenant, p.slot, undefined);
  }

  /**
   * Connects the retriever's INVITE to the call parked in `slot`: one re-INVITE moves the
   * parked party from the music to a new media session with the retriever; the music leg
   * ends. The slot is given up only once that worked: a re-INVITE the parked party
   * refuses leaves it on the music (RFC 3261 14.1: a failed re-INVITE changes nothing),
   * a retriever gone by the time we answer puts it back there; either way it stays
   * parked, with its timeout. Returns false if the slot holds no call this instance can
   * hand over (nothing was answered); true once the retriever got its answer.
   */
  async retrieve(tenant: string, slot: string, req: Srf.SrfRequest, res: Srf.SrfResponse, retriever: string): Promise<boolean> {
    const entry = await this.deps.slots.get(tenant, slot);
    const p = entry ? this.parked.get(entry.callId) : undefined;
    if (!entry || !p) return false;
    const begun = await this.begin(p);
    if (begun === 'gone') return false;
    if (begun === 'busy') {
      respond(res, 486, 'Busy Here - Being Retrieved');
      return true;
    }
    const { call, side, leg } = p;
    const dialog = call.dialog(side);
    if (!dialog || !req.body) {
      await this.backToParked(p);
      respond(res, dialog ? 488 : 480, dialog ? 'Not Acceptable Here - Retrieve Needs An Offer' : 'Temporarily Unavailable');
      return true;
    }
    const fromTag = /;\s*tag=([^;\s]+)/.exec(req.get('From'))?.[1] ?? '';
    const mediaCallId = `rt-${call.id}-${Date.now()}`;
    let moved = false;
    try {
      const offer = await this.deps.media.offer({ callId: mediaCallId, fromTag, sdp: req.body });
      const answer = await modifyWithRetry(dialog, offer);
      moved = true;
      const back = await this.deps.media.answer({ callId: mediaCallId, fromTag, toTag: call.tag(side), sdp: answer });
      let freed: Promise<void> | undefined;
      let adopted = false;
      // the retriever's dialog is wired in the tick it exists (answerInvite): its ACK with a
      // BYE right behind it (RFC 3261 13.3.1.4) must end the call, not leave it up for ever
      const uas = await answerInvite(this.deps.srf, req, res, back, (d) => {
        if (p.state.state !== 'retrieving') return;
        freed = this.finish(p);
        call.mediaCallId = mediaCallId;
        adopted = this.deps.calls.adopt(call, opposite(side), d, {
          user: retriever, tenant, callId: req.get('Call-ID'), tag: fromTag, uri: `sip:${retriever}@${tenant}`,
        });
      });
      if (!freed) {
        hangUp(uas);
        throw new Error('the parked party hung up');
      }
      await freed;
      await leg.release().catch((e: Error) => call.log.warn('park: releasing the music failed', { error: e.message }));
      if (!adopted) {
        // the call ended while the retriever answered: adopt hung the retriever up
        await this.deps.media.delete({ callId: mediaCallId }).catch(() => undefined);
        call.log.info('the parked call ended while it was retrieved', { slot, retriever });
        return true;
      }
      call.log.info('parked call retrieved', { slot, retriever });
    } catch (err) {
      const status = (err as SipError).status;
      call.log.warn('park: retrieve failed; the call stays parked', { slot, retriever, status, error: (err as Error).message });
      await this.deps.media.delete({ callId: mediaCallId }).catch(() => undefined);
      if (!res.finalResponseSent) respond(res, status === 488 ? 488 : 480, status === 488 ? undefined : 'Temporarily Unavailable - Retrieve Failed');
      if (moved && p.state.state === 'retrieving' && isConnected(dialog)) {
        try {
          await rejoinMediaServer(this.deps.media, dialog, call.tag(side), leg);
        } catch (e) {
          call.log.warn('park: the parked party could not be put back on music; hanging up', { slot, error: (e as Error).message });
          this.deps.calls.hangup(call.id, 'park-retrieve-failed');
          return true;
        }
      }
      await this.backToParked(p);
    }
    return true;
  }

  /**
   * rtpengine restarted (issue #14): the parked party's music session is gone. The music
   * is attached again (RFC 3725 4.1, a re-INVITE to the parked party with the new
   * rtpengine's SDP, the same o= session id one version up); the slot keeps the new
   * session's id and dialog. False when the call is not parked here, or is being
   * retrieved or returned (that hand-over fails on its own and ends the call).
   */
  async mediaRestarted(call: Call): Promise<boolean> {
    const p = this.parked.get(call.id);
    if (!p || p.state.state !== 'parked') return false;
    const lot = await this.deps.lots.get(call.tenant);
    const music = await this.deps.music(call.tenant, lot.mohClass);
    await p.leg.release().catch((err: Error) => call.log.debug('park: the lost music session was not released', { error: err.message }));
    const musicMediaId = `ms-${call.id}-${randomBytes(3).toString('hex')}`;
    const leg = await attachMediaServer(this.deps.srf, this.deps.media, call, p.side, music, { mediaCallId: musicMediaId });
    if (this.parked.get(call.id) !== p) {
      // hung up or retrieved while the music came back: its end found the old leg
      await leg.release().catch(() => undefined);
      return true;
    }
    p.leg = leg;
    const d = call.dialog(p.side);
    await this.deps.slots.patch(call.tenant, p.slot, call.id, { musicMediaId, ...(d ? { dialog: snapshotOf(d) } : {}) })
      .catch((err: Error) => call.log.warn('park: keeping the new music session in the slot failed', { error: err.message }));
    call.log.info('park: music back after an rtpengine restart', { slot: p.slot });
    return true;
  }

  /** The parked party hung up: the slot is free at once. */
  async ended(call: Call): Promise<void> {
    const p = this.parked.get(call.id);
    if (!p) return;
    p.state.to('ended');
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
    // while a retrieve runs, the timeout waits: a failed retrieve re-arms it (backToParked)
    if (!p || !p.state.can('returning')) return;
    p.state.to('returning');
    this.parked.delete(callId);
    if (!(await this.deps.slots.free(p.call.tenant, p.slot, callId))) {
      // the slot no longer holds the call in this instance's name (taken over elsewhere)
      p.state.to('ended');
      await p.leg.release();
      return;
    }
    this.deps.changed?.(p.call.tenant, p.slot, undefined);
    const lot = await this.deps.lots.get(p.call.tenant);
    const parker = p.call[opposite(p.side)].user;
    for (const user of [parker, lot.fallback].filter((u): u is string => !!u)) {
      p.call.log.info('park timeout: calling back', { slot: p.slot, to: user });
      if (await this.connect(p, user, lot.comebackTimeout * 1000)) {
        p.state.to('retrieved');
        return;
      }
    }
    p.state.to('ended');
    p.call.log.warn('park timeout: nobody took the call back; hanging up', { slot: p.slot, parker, fallback: lot.fallback });
    await p.leg.release();
    this.deps.calls.hangup(callId, 'park-timeout');
  }

  /**
   * REST retrieve (POST /v1/parks/{slot}/retrieve): calls `to`, and bridges the parked
   * call to it on answer. 'empty' if nothing is parked there, 'busy' while another
   * retrieve of the slot runs, 'no-answer' if `to` did not answer: the call never left
   * its slot, and its timeout starts again.
   */
  async retrieveTo(tenant: string, slot: string, to: string, ringMs: number): Promise<RetrieveOutcome> {
    const entry = await this.deps.slots.get(tenant, slot);
    const p = entry ? this.parked.get(entry.callId) : undefined;
    if (!entry || !p) return 'empty';
    const begun = await this.begin(p);
    if (begun !== 'ok') return begun === 'busy' ? 'busy' : 'empty';
    if (await this.connect(p, to, ringMs)) {
      await this.finish(p);
      return 'ok';
    }
    const lot = await this.deps.lots.get(tenant);
    await this.backToParked(p, { timeoutAt: Date.now() + lot.timeout * 1000, ttlMs: lot.timeout * 1000 + SLOT_GRACE_MS });
    return 'no-answer';
  }

  /**
   * Rings all of `user`'s phones at once through the ring primitive every user call uses
   * (lib/calls RingStepRun, issue 17: the first 2xx wins, the others get CANCEL with
   * "Call completed elsewhere", RFC 3326; all are cancelled after `ringMs`, RFC 3261 9.1).
   * The phones are offered the parked party's media through a new rtpengine session; the
   * answering phone's SDP, through rtpengine, then moves the party off the music in one
   * re-INVITE (RFC 3725 4.2: a controller may offer one party what the other answered),
   * and the party's answer is fed back into the session. False if nobody answered or the
   * hand-over failed: the party is on the music as before.
   */
  private async connect(p: Parked, user: string, ringMs: number): Promise<boolean> {
    const { call, side } = p;
    const { media } = this.deps;
    const party = call.dialog(side);
    const phones = await this.deps.phones(call.tenant, user);
    if (!party?.remote.sdp || phones.length === 0) return false;
    const parkedTag = call.tag(side);
    const mediaCallId = `cb-${call.id}-${randomBytes(3).toString('hex')}`;
    let phone: Srf.Dialog | undefined;
    let moved = false;
    try {
      // the party's last answer was to the music (RFC 3264 6.1: recvonly to a sendonly
      // offer); toward a phone it sends and receives
      const offer = await media.offer({ callId: mediaCallId, fromTag: parkedTag, sdp: withDirection(party.remote.sdp, 'sendrecv') });
      const r = await new RingStepRun(this.deps.srf).run({
        targets: phones, ringMs, offer, onProvisional: () => undefined,
        headers: { From: `"${call[side].user}" <sip:${call[side].user}@${call.tenant}>`, To: `<sip:${user}@${call.tenant}>` },
      });
      if (!r.dialog) {
        call.log.info('no answer from a phone', { to: user, status: r.status, timedOut: r.outcome?.timedOut });
        await media.delete({ callId: mediaCallId }).catch(() => undefined);
        return false;
      }
      phone = r.dialog;
      const phoneTag = phone.sip.remoteTag;
      const session = { callId: mediaCallId, fromTag: parkedTag, toTag: phoneTag };
      const toParty = await media.answer({ ...session, sdp: phone.remote.sdp });
      const partyAnswer = await modifyWithRetry(party, toParty);
      moved = true;
      // the party's answer may name other ports than its last SDP did: a new offer/answer
      // in the same session (its phone side keeps its ports, RFC 3264 8) carries it
      await media.offer({ ...session, sdp: partyAnswer });
      await media.answer({ ...session, sdp: phone.remote.sdp });
      if (!isConnected(phone)) throw new Error(`${user} hung up during the hand-over`);
      await p.leg.release();
      call.mediaCallId = mediaCallId;
      if (!this.deps.calls.adopt(call, opposite(side), phone, {
        user, tenant: call.tenant, callId: phone.sip.callId, tag: phoneTag, uri: `sip:${user}@${call.tenant}`,
      })) {
        // the call ended while `user` answered (a hang-up during the hand-over): adopt
        // hung `user` up; nobody else is to be tried
        await media.delete({ callId: mediaCallId }).catch(() => undefined);
        call.log.info('the parked call ended while it was handed over', { to: user });
        return true;
      }
      call.log.info('parked call handed over', { to: user });
      return true;
    } catch (err) {
      call.log.info('the parked call could not be handed over', { to: user, error: (err as Error).message });
      hangUp(phone);
      await media.delete({ callId: mediaCallId }).catch(() => undefined);
      if (moved && isConnected(party)) {
        try {
          await rejoinMediaServer(media, party, parkedTag, p.leg);
        } catch (e) {
          call.log.warn('park: the parked party could not be put back on music; hanging up', { to: user, error: (e as Error).message });
          this.deps.calls.hangup(call.id, 'park-comeback-failed');
          return true;
        }
      }
      return false;
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.releasing]);
    for (const p of this.parked.values()) {
      p.state.try('ended');
      clearTimeout(p.timer);
      await this.deps.slots.free(p.call.tenant, p.slot, p.call.id).catch(() => false);
    }
    this.parked.clear();
  }
}
