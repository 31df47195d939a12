import { randomBytes } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { SrfApp } from '../../lib/sip/srf-app';
import type { Logger } from 'winston';
import { answerInvite, attachMediaServer, offerToMediaServer, openMediaSession, opposite, reconnect, RingStepRun, type Call, type CallManager, type ForkTarget, type MediaServerLeg, type OpenedSession, type Side } from '../../lib/calls';
import type { MediaAnchor, MediaServerTarget, MediaSession } from '../../lib/media';
import { hangUp, isConnected } from '../../lib/sip/hang-up';
import type { ConferenceStore } from './conference-store';
import { MemberOffers, type MemberMedia } from './member-offers';
import { settled, shared } from './merge-parties';
import type { ConferenceSettingsStore } from './settings';

/** Why a conference operation failed; mapped to SIP and REST in routes.ts. */
export class ConferenceError extends Error {
  constructor(readonly code: 'no-conference' | 'no-member' | 'no-call' | 'not-answered' | 'no-shared-party' | 'no-answer' | 'failed', message: string) {
    super(message);
  }
}

/** One party in the bridge: its own dialog (no longer part of a call) and its leg to the bridge. */
export interface Member {
  id: string;
  user: string;
  party: Srf.Dialog;
  /** the bridge side: BYE to the bridge and the end of the rtpengine session between them */
  release(): Promise<void>;
  joinedAt: number;
  /** on hold from its phone: out of the mix (member-offers.ts) */
  readonly held: boolean;
}

export interface Conference {
  id: string;
  tenant: string;
  host: string;
  hostLeaves: 'end' | 'continue';
  members: Map<string, Member>;
  createdAt: number;
}

export interface ConferenceServiceDeps {
  srf: SrfApp;
  media: MediaAnchor;
  calls: CallManager;
  store: ConferenceStore;
  settings: ConferenceSettingsStore;
  /** the bridge for one member: the embedded one (in this process) or the tenant's external one by URI */
  bridge(tenant: string, conference: string, member: string): Promise<MediaServerTarget>;
  phones(tenant: string, user: string): Promise<ForkTarget[]>;
  ringMs: number;
  logger: Logger;
  /** the conference changed (a member joined, left, held or resumed) or ended: for the console's live view */
  changed?(conf: Conference, ended: boolean): void;
}

const id = (): string => randomBytes(6).toString('hex');

/** A party of a call on its way into the bridge: re-INVITEd there, still a party of its call. */
interface Move {
  call: Call;
  side: Side;
  memberId: string;
  leg: MediaServerLeg;
}

/**
 * 3-way (and more) conferencing in the network (issue: conference bridging): the parties
 * of calls are moved into a bridge by third-party call control (RFC 3725 4.1, as for
 * music on hold), leave it with their BYE, and the host's leaving ends it or not as the
 * tenant chose. When one of the last two leaves, the other is released with a BYE.
 */
export class ConferenceService {
  private readonly conferences = new Map<string, Conference>();

  constructor(private readonly deps: ConferenceServiceDeps) {}

  get(confId: string): Conference | undefined {
    return this.conferences.get(confId);
  }

  list(tenant?: string): Conference[] {
    return [...this.conferences.values()].filter((c) => !tenant || c.tenant === tenant);
  }

  /** REST merge: two answered calls sharing a party (the host) become one conference. */
  async merge(a: Call, b: Call): Promise<Conference> {
    for (const c of [a, b]) if (c.state !== 'answered') throw new ConferenceError('not-answered', `call ${c.id} is not answered`);
    const host = shared(a, b);
    if (!host || a.tenant !== b.tenant) throw new ConferenceError('no-shared-party', 'the two calls do not share a party');
    const conf = await this.create(a.tenant, host.user);
    return this.assemble(conf, [a, b], async () => {
      // all three re-INVITEd at once (a party's gap is the time until the others are in
      // too), and the host's other leg released only once everyone is in: make before break
      const moves = await settled([
        this.move(conf, a, opposite(host.inA)),
        this.move(conf, b, opposite(host.inB)),
        this.move(conf, a, host.inA),
      ]);
      await this.admitAll(conf, moves);
      this.deps.calls.release(b, host.inB);
    });
  }

  /**
   * The merge code (`*3`) dialed by a user with two calls: the far parties of both join a
   * new bridge, the user's two legs are released, and the user's new INVITE is answered
   * by the bridge itself.
   */
  async mergeByPhone(tenant: string, user: string, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<Conference> {
    const mine = this.deps.calls.list().filter((c) => c.tenant === tenant && c.state === 'answered'
      && ((c.caller.user === user && c.dialog('caller')) || (c.callee.user === user && c.dialog('callee'))));
    if (mine.length < 2) throw new ConferenceError('no-call', 'no two calls to merge');
    const [a, b] = mine.slice(-2);
    const conf = await this.create(tenant, user);
    const hostSide = (c: Call): Side => (c.caller.user === user ? 'caller' : 'callee');
    return this.assemble(conf, [a, b], async () => {
      // the user's seat and both far parties join at once, so each far party finds the
      // user's voice in the bridge as soon as it is in; the user's old legs are released
      // only then (make before break)
      const [seat, moves] = await Promise.all([
        settled([this.joinInvite(conf, user, req, res)]),
        settled([a, b].map((c) => this.move(conf, c, opposite(hostSide(c))))),
      ]);
      // the user's seat failing fails the merge too; a seat that did join is a member, and
      // ending the failed conference hangs up only it: the user's two calls stay
      await this.admitAll(conf, { ok: moves.ok, failed: seat.failed ?? moves.failed });
      for (const c of [a, b]) this.deps.calls.release(c, hostSide(c));
    });
  }

  /**
   * Runs the moves of a merge. On success the merged calls end (their parties belong to
   * the conference now); on failure they stay up as they were (issue #16: a failed merge
   * never loses calls) and the conference, with any seat that had joined, ends.
   */
  private async assemble(conf: Conference, merged: Call[], moves: () => Promise<void>): Promise<Conference> {
    try {
      await moves();
    } catch (err) {
      await this.end(conf.id, 'merge-failed');
      this.deps.logger.info('conference: merge failed, the calls stay', { conference: conf.id, error: (err as Error).message });
      throw new ConferenceError('failed', `merging failed: ${(err as Error).message}; the calls are as they were`);
    }
    for (const c of merged) this.deps.calls.hangup(c.id, 'merged');
    return conf;
  }

  /**
   * Every party moved and still there: each becomes a member. Otherwise the ones that did
   * move go back into their calls and the first failure is thrown.
   */
  private async admitAll(conf: Conference, moves: { ok: Move[]; failed?: unknown }): Promise<void> {
    const gone = moves.ok.find((m) => !m.call.dialog(m.side) || !isConnected(m.call.dialog(m.side)!));
    // the conference ended while the parties joined (the merging user's seat hung up at once):
    // admitted now, they would sit in a bridge nobody ends
    const ended = !this.conferences.has(conf.id);
    if (moves.failed !== undefined || gone || ended) {
      await this.putBack(moves.ok);
      if (moves.failed !== undefined) throw moves.failed;
      if (gone) throw new Error(`the ${gone.side} of call ${gone.call.id} left while joining`);
      throw new Error('the conference ended while the parties joined');
    }
    for (const m of moves.ok) this.admit(conf, m);
  }

  /**
   * Undoes moves of a failed merge: each party is re-INVITEd back into its call's own
   * media session (RFC 3725 3pcc, as a resume from music does), then its bridge session
   * is released. Two parties of one call go back one after the other (no glare on the
   * shared session); never throws: a party that cannot come back has hung up.
   */
  private async putBack(moved: Move[]): Promise<void> {
    const byCall = new Map<Call, Move[]>();
    for (const m of moved) byCall.set(m.call, [...(byCall.get(m.call) ?? []), m]);
    await Promise.all([...byCall.values()].map(async (ms) => {
      for (const m of ms) {
        await reconnect(this.deps.media, m.call, m.side).catch((err: Error) =>
          this.deps.logger.warn('conference: a party did not come back from a failed merge', { call: m.call.id, side: m.side, error: err.message }));
        await m.leg.release().catch((err: Error) => this.deps.logger.warn('conference: bridge leg release', { error: err.message }));
      }
    }));
  }

  /**
   * POST /v1/conferences/{id}/members: all of `to`'s phones ring at once through the ring
   * primitive every user call uses (lib/calls RingStepRun: the first 2xx wins, the others
   * get CANCEL with "Call completed elsewhere", RFC 3326; everything is cancelled after
   * the ring time). A failed add leaves everything as it was (issue #16): the members are
   * never touched, and a phone that answered but could not join (its SDP unusable, the
   * bridge gone, the conference ended while it rang) gets a BYE, so no call of it is left
   * behind; the error says whether nobody answered or what failed.
   */
  async add(confId: string, to: string): Promise<Member> {
    const conf = this.need(confId);
    const phones = await this.deps.phones(conf.tenant, to);
    if (phones.length === 0) throw new ConferenceError('no-answer', `${to} has no registered phone`);
    try {
      return await this.dialMember(conf, id(), to, phones);
    } catch (err) {
      if (err instanceof ConferenceError) throw err;
      this.deps.logger.info('conference: the answering phone did not join', { conference: conf.id, to, error: (err as Error).message });
      throw new ConferenceError('failed', `${to} could not join: ${(err as Error).message}; the conference is as it was`);
    }
  }

  /**
   * `to`'s phones rung with the bridge's offer (RFC 3725 4.1: an external bridge's offer
   * comes in its 200 to an INVITE without SDP); a member once one answered and the bridge
   * took its answer. On any failure, whatever this attempt set up is undone.
   */
  private async dialMember(conf: Conference, memberId: string, to: string, phones: ForkTarget[]): Promise<Member> {
    const mediaCallId = `cf-${conf.id}-${memberId}`;
    const bridgeTag = `cf-${id()}`;
    let session: OpenedSession | undefined;
    let party: Srf.Dialog | undefined;
    try {
      session = await openMediaSession(this.deps.srf, await this.deps.bridge(conf.tenant, conf.id, memberId));
      const offer = await this.deps.media.offer({ callId: mediaCallId, fromTag: bridgeTag, sdp: session.serverSdp });
      party = await this.ring(conf, to, phones, offer);
      const answer = await this.deps.media.answer({ callId: mediaCallId, fromTag: bridgeTag, toTag: party.sip.remoteTag, sdp: party.remote.sdp });
      await session.answer(answer);
      // the conference may have ended while the phone rang: nothing left to join
      if (this.conferences.get(conf.id) !== conf) throw new ConferenceError('no-conference', `conference ${conf.id} ended while ${to} rang`);
      if (!isConnected(party)) throw new Error(`${to} hung up while joining`);
      const joined = session;
      const media: MemberMedia = { mediaCallId, memberTag: party.sip.remoteTag, bridgeTag, bridgeSdp: () => joined.serverSdp };
      return this.track(conf, memberId, to, party, media, async () => {
        await joined.release();
        await this.deps.media.delete({ callId: mediaCallId });
      }, joined);
    } catch (err) {
      hangUp(party);
      await session?.release().catch(() => undefined);
      await this.deps.media.delete({ callId: mediaCallId }).catch(() => undefined);
      throw err;
    }
  }

  /** One ring step: every phone of `to` in parallel for ringMs (DESIGN: one primitive rings a user's phones). */
  private async ring(conf: Conference, to: string, phones: ForkTarget[], offer: string): Promise<Srf.Dialog> {
    const step = new RingStepRun(this.deps.srf);
    const r = await step.run({
      targets: phones, ringMs: this.deps.ringMs, offer,
      headers: { From: `"Conference" <sip:conference@${conf.tenant}>`, To: `<sip:${to}@${conf.tenant}>` },
      onProvisional: () => undefined,
    });
    if (r.dialog) return r.dialog;
    const why = r.outcome?.timedOut ? 'no answer in time' : `${r.status}`;
    this.deps.logger.info('conference: nobody answered', { conference: conf.id, to, status: r.status, timedOut: r.outcome?.timedOut });
    throw new ConferenceError('no-answer', `${to} did not answer (${why})`);
  }

  /** Removes one member (its BYE, or DELETE /members/{id}). */
  async remove(confId: string, memberId: string): Promise<void> {
    const conf = this.need(confId);
    const m = conf.members.get(memberId);
    if (!m) throw new ConferenceError('no-member', `no member ${memberId}`);
    await this.leave(conf, m);
  }

  /** Ends the conference: every member gets a BYE. */
  async end(confId: string, reason = 'ended'): Promise<void> {
    const conf = this.conferences.get(confId);
    if (!conf) return;
    this.conferences.delete(confId);
    for (const m of conf.members.values()) await this.drop(m);
    conf.members.clear();
    this.deps.changed?.(conf, true);
    await this.deps.store.remove(conf.tenant, conf.id);
    this.deps.logger.info('conference ended', { conference: conf.id, reason });
  }

  async stop(): Promise<void> {
    for (const c of [...this.conferences.keys()]) await this.end(c, 'shutdown');
  }

  private async create(tenant: string, host: string): Promise<Conference> {
    const settings = await this.deps.settings.get(tenant);
    const conf: Conference = { id: id(), tenant, host, hostLeaves: settings.hostLeaves, members: new Map(), createdAt: Date.now() };
    this.conferences.set(conf.id, conf);
    await this.save(conf);
    this.deps.logger.info('conference created', { conference: conf.id, tenant, host });
    return conf;
  }

  /** A party of a call into the bridge (3pcc); it stays a party of its call until admitted. */
  private async move(conf: Conference, call: Call, side: Side): Promise<Move> {
    const memberId = id();
    const bridge = await this.deps.bridge(conf.tenant, conf.id, memberId);
    try {
      return { call, side, memberId, leg: await attachMediaServer(this.deps.srf, this.deps.media, call, side, bridge) };
    } catch (err) {
      throw new Error(`the ${side} of call ${call.id} could not join the bridge: ${(err as Error).message}`, { cause: err });
    }
  }

  /** A moved party out of its call: it belongs to the conference now. */
  private admit(conf: Conference, m: Move): Member {
    const { call, side, leg } = m;
    const memberTag = call.tag(side);
    const party = this.deps.calls.detach(call, side)!; // admitAll checked it is there
    const media: MemberMedia = { mediaCallId: leg.mediaCallId, memberTag, bridgeTag: leg.serverTag, bridgeSdp: () => leg.serverSdp() };
    return this.track(conf, m.memberId, call[side].user, party, media, () => leg.release(), leg);
  }

  /** The user's own INVITE (the merge code) answered by the bridge through rtpengine. */
  private async joinInvite(conf: Conference, user: string, req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<Member> {
    const memberId = id();
    const bridge = await this.deps.bridge(conf.tenant, conf.id, memberId);
    const mediaCallId = `cf-${conf.id}-${memberId}`;
    const fromTag = /;\s*tag=([^;\s]+)/.exec(req.get('From'))?.[1] ?? '';
    const offer = await this.deps.media.offer({ callId: mediaCallId, fromTag, sdp: req.body });
    let session: MediaSession | undefined;
    try {
      const joined = await offerToMediaServer(this.deps.srf, bridge, offer);
      session = joined.session;
      const bridgeSession = session;
      const bridgeTag = `cf-${id()}`;
      const answer = await this.deps.media.answer({ callId: mediaCallId, fromTag, toTag: bridgeTag, sdp: joined.answer });
      const media: MemberMedia = { mediaCallId, memberTag: fromTag, bridgeTag, bridgeSdp: () => bridgeSession.serverSdp };
      // tracked in the tick the dialog exists: a BYE or re-INVITE right behind the ACK
      // (RFC 3261 13.3.1.4) must find the member listened to (answerInvite)
      let member: Member | undefined;
      await answerInvite(this.deps.srf, req, res, answer, (party) => {
        member = this.track(conf, memberId, user, party, media, async () => {
          await bridgeSession.release();
          await this.deps.media.delete({ callId: mediaCallId });
        }, bridgeSession);
      });
      if (!member) throw new Error('answered without a dialog');
      return member;
    } catch (err) {
      await session?.release().catch(() => undefined);
      await this.deps.media.delete({ callId: mediaCallId }).catch(() => undefined);
      throw err;
    }
  }

  private track(conf: Conference, memberId: string, user: string, party: Srf.Dialog, media: MemberMedia,
    release: () => Promise<void>, bridgeLeg: { onGone(cb: () => void): void }): Member {
    let released = false;
    const offers = new MemberOffers(this.deps.media, media, this.deps.logger.child({ conference: conf.id, member: memberId }),
      () => void this.save(conf)); // a member held or resumed: saved for other instances' lists, and told
    offers.listen(party);
    const m: Member = {
      id: memberId, user, party, joinedAt: Date.now(), get held() { return offers.onHold; },
      release: async () => {
        if (released) return;
        released = true;
        await release().catch((err: Error) => this.deps.logger.warn('conference: bridge leg release', { error: err.message }));
      },
    };
    conf.members.set(memberId, m);
    party.on('destroy', () => void this.leave(conf, m));
    // the bridge ended the member's session (an external bridge's BYE, the mixer gone): the member is out
    bridgeLeg.onGone(() => void this.leave(conf, m));
    void this.save(conf);
    this.deps.logger.info('conference: member joined', { conference: conf.id, member: memberId, user });
    return m;
  }

  /**
   * A member is out: its legs end; the host leaving ends the conference if the tenant
   * says so; the last member left alone is released (a conference of one is no call).
   */
  private async leave(conf: Conference, m: Member): Promise<void> {
    if (!conf.members.delete(m.id)) return;
    await this.drop(m);
    this.deps.logger.info('conference: member left', { conference: conf.id, member: m.id, user: m.user });
    if (!this.conferences.has(conf.id)) return;
    const hostGone = m.user === conf.host && ![...conf.members.values()].some((x) => x.user === conf.host);
    if ((hostGone && conf.hostLeaves === 'end') || conf.members.size <= 1) {
      await this.end(conf.id, hostGone && conf.hostLeaves === 'end' ? 'host-left' : 'one-left');
      return;
    }
    await this.save(conf);
  }

  private async drop(m: Member): Promise<void> {
    await m.release();
    if (isConnected(m.party)) await Promise.resolve(m.party.destroy()).catch(() => undefined);
  }

  private need(confId: string): Conference {
    const c = this.conferences.get(confId);
    if (!c) throw new ConferenceError('no-conference', `no conference ${confId}`);
    return c;
  }

  private async save(conf: Conference): Promise<void> {
    if (!this.conferences.has(conf.id)) return;
    // a conference still being assembled (no member yet) is nothing to show
    if (conf.members.size > 0) this.deps.changed?.(conf, false);
    await this.deps.store.save({
      id: conf.id, tenant: conf.tenant, host: conf.host, hostLeaves: conf.hostLeaves, createdAt: conf.createdAt,
      members: [...conf.members.values()].map((m) => ({ id: m.id, user: m.user, joinedAt: m.joinedAt, held: m.held })),
    }).catch((err: Error) => this.deps.logger.warn('conference: state not saved', { error: err.message }));
  }
}
