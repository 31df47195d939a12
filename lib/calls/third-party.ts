import { randomBytes } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { MediaAnchor } from '../media';
import { opposite, type Call, type Side } from './call';
import { resumeDialog, type DialogSnapshot } from './dialog-snapshot';
import { hangUp, isConnected } from '../sip/hang-up';
import { sentFirst } from '../sip/sdp-origin';
import { modifyWithRetry } from './modify';

/** A party of a call connected to a media server (music, announcements, a bridge). */
export interface MediaServerLeg {
  side: Side;
  /** the rtpengine session between the party and the media server */
  mediaCallId: string;
  /** the media server's tag in that session (the party's is its dialog tag) */
  serverTag: string;
  dialog: Srf.Dialog;
  /** BYE to the media server and the end of its media session; the party is left where it is */
  release(): Promise<void>;
}

interface Pending3pcc {
  sdp: string;
  ack(sdp: string): Promise<Srf.Dialog>;
  destroy(): Promise<void>;
}

type CreateUac = (uri: string, opts: object, progress?: object) => Promise<Pending3pcc>;

export interface AttachOptions {
  headers?: Record<string, string>;
  /** next hop (a NATed phone: where its REGISTER came from) */
  proxy?: string;
  /** the INVITE as sent, so the caller can CANCEL it (a phone that does not answer) */
  onRequest?(req: Srf.SrfRequest): void;
  /** rtpengine's call-id for the new session (default: a fresh one) */
  mediaCallId?: string;
}

/**
 * Re-targets one party of a call to a media server by third-party call control
 * (RFC 3725 section 4.1, the service example "Music On Hold"): an INVITE without SDP to
 * the media server; its offer, through rtpengine, to the party in a re-INVITE; the
 * party's answer, through rtpengine, in the ACK to the media server. The party's media
 * then runs through a second rtpengine session, so the call's own session (and the
 * other party's view of it) is untouched and `reconnect` can restore it.
 */
export async function attachMediaServer(srf: Srf, media: MediaAnchor, call: Call, side: Side, uri: string,
  opts: AttachOptions = {}): Promise<MediaServerLeg> {
  const party = call.dialog(side);
  if (!party) throw new Error(`call ${call.id} has no ${side} dialog`);
  return toMediaServer(srf, media, opts.mediaCallId ?? `ms-${call.id}-${randomBytes(3).toString('hex')}`, side, call.tag(side), uri, opts,
    (offer) => modifyWithRetry(party, offer));
}

/**
 * The same for a party whose dialog another instance held until it died (a parked
 * call): the media server's offer goes to the party in the INVITE that resumes the
 * dialog here (`resumeDialog`), and the resumed dialog comes back with the leg.
 */
export async function resumeOnMediaServer(srf: Srf, media: MediaAnchor, snap: DialogSnapshot, cseq: number, side: Side,
  uri: string, opts: AttachOptions = {}): Promise<{ party: Srf.Dialog; leg: MediaServerLeg }> {
  let party: Srf.Dialog | undefined;
  const mediaCallId = opts.mediaCallId ?? `ms-${snap.callId}-${randomBytes(3).toString('hex')}`;
  const attached = await toMediaServer(srf, media, mediaCallId, side, snap.remoteTag, uri, opts, async (offer) => {
    party = await resumeDialog(srf, snap, offer, cseq);
    return party.remote.sdp;
  });
  return { party: party as Srf.Dialog, leg: attached };
}

/** RFC 3725 4.1 with `reach` carrying the media server's offer to the party and its answer back. */
async function toMediaServer(srf: Srf, media: MediaAnchor, mediaCallId: string, side: Side, partyTag: string, uri: string,
  opts: AttachOptions, reach: (offer: string) => Promise<string>): Promise<MediaServerLeg> {
  const msTag = `ms-${randomBytes(4).toString('hex')}`;
  const pending = await (srf.createUAC as unknown as CreateUac).call(srf, uri, { noAck: true, headers: opts.headers ?? {}, proxy: opts.proxy }, {
    cbRequest: (_err: unknown, req: Srf.SrfRequest) => {
      if (req) opts.onRequest?.(req);
    },
  });
  try {
    const offer = await media.offer({ callId: mediaCallId, fromTag: msTag, sdp: pending.sdp });
    const answer = await reach(offer);
    const back = await media.answer({ callId: mediaCallId, fromTag: msTag, toTag: partyTag, sdp: answer });
    const dialog = await pending.ack(back);
    // our first SDP on the media server's dialog went in the ACK, where srf does not keep it
    sentFirst(dialog, back);
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      if (isConnected(dialog)) hangUp(dialog);
      await media.delete({ callId: mediaCallId });
    };
    dialog.on('destroy', () => void release());
    return { side, mediaCallId, serverTag: msTag, dialog, release };
  } catch (err) {
    await pending.destroy().catch(() => undefined);
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
  const offer = await media.offer({ ...p, sdp: leg.dialog.remote.sdp });
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
