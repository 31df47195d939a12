import { randomBytes } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { MediaAnchor, MediaServerTarget } from '../media';
import { openMediaSession, type SipSessionOptions } from './media-session';
import { opposite, type Call, type Side } from './call';
import { resumeDialog, type DialogSnapshot } from './dialog-snapshot';
import { modifyWithRetry } from './modify';

/** A party of a call connected to a media server (music, a bridge, a phone by 3pcc). */
export interface MediaServerLeg {
  side: Side;
  /** the rtpengine session between the party and the media server */
  mediaCallId: string;
  /** the media server's tag in that session (the party's is its dialog tag) */
  serverTag: string;
  /** the media server's SDP in its session (its offer) */
  serverSdp(): string;
  /** the SIP dialog with the media server; none for an embedded one */
  dialog?: Srf.Dialog;
  /** ends the media server's session (a BYE to an external one) and its rtpengine session; the party is left where it is */
  release(): Promise<void>;
  /** the media server ended the session itself (its BYE, its service stopped); the leg is released by then */
  onGone(cb: () => void): void;
}

export interface AttachOptions extends SipSessionOptions {
  /** headers of the INVITE to a media server given by URI */
  headers?: Record<string, string>;
  /** rtpengine's call-id for the new session (default: a fresh one) */
  mediaCallId?: string;
}

/** A media server given by URI is an external SIP one. */
function targetOf(target: string | MediaServerTarget, opts: AttachOptions): MediaServerTarget {
  return typeof target === 'string' ? { kind: 'sip', uri: target, headers: opts.headers ?? {} } : target;
}

/**
 * Re-targets one party of a call to a media server by third-party call control
 * (RFC 3725 section 4.1, the service example "Music On Hold"): the media server's offer
 * (an external one's in the 200 to an INVITE without SDP; an embedded one's asked for in
 * this process), through rtpengine, to the party in a re-INVITE; the party's answer,
 * through rtpengine, back to the media server (an external one's in the ACK). The party's
 * media then runs through a second rtpengine session, so the call's own session (and the
 * other party's view of it) is untouched and `reconnect` can restore it.
 */
export async function attachMediaServer(srf: Srf, media: MediaAnchor, call: Call, side: Side, uri: string,
  opts?: AttachOptions): Promise<MediaServerLeg & { dialog: Srf.Dialog }>;
export async function attachMediaServer(srf: Srf, media: MediaAnchor, call: Call, side: Side, target: MediaServerTarget,
  opts?: AttachOptions): Promise<MediaServerLeg>;
export async function attachMediaServer(srf: Srf, media: MediaAnchor, call: Call, side: Side, target: string | MediaServerTarget,
  opts: AttachOptions = {}): Promise<MediaServerLeg> {
  const party = call.dialog(side);
  if (!party) throw new Error(`call ${call.id} has no ${side} dialog`);
  return toMediaServer(srf, media, opts.mediaCallId ?? `ms-${call.id}-${randomBytes(3).toString('hex')}`, side, call.tag(side),
    targetOf(target, opts), opts, (offer) => modifyWithRetry(party, offer));
}

/**
 * The same for a party whose dialog another instance held until it died (a parked
 * call): the media server's offer goes to the party in the INVITE that resumes the
 * dialog here (`resumeDialog`), and the resumed dialog comes back with the leg.
 */
export async function resumeOnMediaServer(srf: Srf, media: MediaAnchor, snap: DialogSnapshot, cseq: number, side: Side,
  target: MediaServerTarget, opts: AttachOptions = {}): Promise<{ party: Srf.Dialog; leg: MediaServerLeg }> {
  let party: Srf.Dialog | undefined;
  const mediaCallId = opts.mediaCallId ?? `ms-${snap.callId}-${randomBytes(3).toString('hex')}`;
  const attached = await toMediaServer(srf, media, mediaCallId, side, snap.remoteTag, target, opts, async (offer) => {
    party = await resumeDialog(srf, snap, offer, cseq);
    return party.remote.sdp;
  });
  return { party: party as Srf.Dialog, leg: attached };
}

/** RFC 3725 4.1 with `reach` carrying the media server's offer to the party and its answer back. */
async function toMediaServer(srf: Srf, media: MediaAnchor, mediaCallId: string, side: Side, partyTag: string, target: MediaServerTarget,
  opts: AttachOptions, reach: (offer: string) => Promise<string>): Promise<MediaServerLeg> {
  const msTag = `ms-${randomBytes(4).toString('hex')}`;
  const session = await openMediaSession(srf, target, opts);
  try {
    const offer = await media.offer({ callId: mediaCallId, fromTag: msTag, sdp: session.serverSdp });
    const answer = await reach(offer);
    const back = await media.answer({ callId: mediaCallId, fromTag: msTag, toTag: partyTag, sdp: answer });
    await session.answer(back);
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      await session.release();
      await media.delete({ callId: mediaCallId });
    };
    const gone: Array<() => void> = [];
    session.onGone(() => {
      void release().catch(() => undefined);
      for (const cb of gone.splice(0)) cb();
    });
    const dialog = session.dialog();
    return {
      side, mediaCallId, serverTag: msTag, release, ...(dialog ? { dialog } : {}),
      serverSdp: () => dialog?.remote.sdp ?? session.serverSdp,
      onGone: (cb) => void gone.push(cb),
    };
  } catch (err) {
    await session.release().catch(() => undefined);
    await media.delete({ callId: mediaCallId }).catch(() => undefined);
    throw err;
  }
}

/**
 * Puts a party back on the media server `leg` after a re-INVITE moved it elsewhere and
 * what it moved to fell through (a retrieve whose retriever is gone): the media server's
 * SDP, through the leg's own rtpengine session, as a re-INVITE offer to the party, and
 * its answer back into that session. The media server's dialog is not touched.
 */
export async function rejoinMediaServer(media: MediaAnchor, party: Srf.Dialog, partyTag: string, leg: MediaServerLeg): Promise<void> {
  const p = { callId: leg.mediaCallId, fromTag: leg.serverTag, toTag: partyTag };
  const offer = await media.offer({ ...p, sdp: leg.serverSdp() });
  const answer = await modifyWithRetry(party, offer);
  await media.answer({ ...p, sdp: answer });
}

/**
 * Brings a party back into the call's own media session (after music, when the
 * server itself resumes): the other party's current SDP, through rtpengine, as a
 * re-INVITE offer to the party, and its answer back into the session.
 */
export async function reconnect(media: MediaAnchor, call: Call, side: Side): Promise<void> {
  const party = call.dialog(side);
  const other = call.dialog(opposite(side));
  if (!party || !other) throw new Error(`call ${call.id} has no ${side} dialog`);
  const fromTag = call.tag(opposite(side));
  const offer = await media.offer({ callId: call.mediaCallId, fromTag, toTag: call.tag(side), sdp: other.remote.sdp });
  const answer = await modifyWithRetry(party, offer);
  await media.answer({ callId: call.mediaCallId, fromTag, toTag: call.tag(side), sdp: answer });
}
