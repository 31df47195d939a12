import type Srf from 'drachtio-srf';
import type { MediaServerTarget, MediaSession, SipMediaServer } from '../media';
import { hangUp, isConnected } from '../sip/hang-up';
import { sentFirst } from '../sip/sdp-origin';
import { srfApp } from '../sip/srf-app';

/** A media server session; `dialog` is its SIP dialog once answered (an external server only). */
export interface OpenedSession extends MediaSession {
  dialog(): Srf.Dialog | undefined;
}

export interface SipSessionOptions {
  /** next hop (a NATed phone: where its REGISTER came from) */
  proxy?: string;
  /** the INVITE as sent, so the caller can CANCEL it (a phone that does not answer) */
  onRequest?(req: Srf.SrfRequest): void;
}

/**
 * A session with whichever media server `target` names: an embedded one is asked
 * directly; an external one gets an INVITE without SDP (RFC 3725 4.1: its offer in the
 * 200, the answer in the ACK, sent by `answer`).
 */
export async function openMediaSession(srf: Srf, target: MediaServerTarget, opts: SipSessionOptions = {}): Promise<OpenedSession> {
  if (target.kind === 'embedded') {
    const s = await target.open();
    return Object.assign(s, { dialog: () => undefined });
  }
  return openSip(srf, target, opts);
}

/**
 * A session answering the party's offer (a phone joining a bridge by its own INVITE): an
 * embedded server answers in-process; an external one gets an INVITE with the offer
 * (RFC 3261 13.2.1) and its 200 carries the answer.
 */
export async function offerToMediaServer(srf: Srf, target: MediaServerTarget, offer: string): Promise<{ answer: string; session: OpenedSession }> {
  if (target.kind === 'embedded') {
    if (!target.accept) throw new Error(`${target.name} takes no offers`);
    const { answer, session } = await target.accept(offer);
    return { answer, session: Object.assign(session, { dialog: () => undefined }) };
  }
  const dialog = await srfApp(srf).createUAC(target.uri, { localSdp: offer, headers: target.headers });
  return { answer: dialog.remote.sdp, session: dialogSession(dialog, dialog.remote.sdp) };
}

async function openSip(srf: Srf, target: SipMediaServer, opts: SipSessionOptions): Promise<OpenedSession> {
  const pending = await srfApp(srf).createUAC(target.uri, { noAck: true, headers: target.headers, proxy: opts.proxy }, {
    cbRequest: (_err, req) => {
      if (req) opts.onRequest?.(req);
    },
  });
  let dialog: Srf.Dialog | undefined;
  let ended = false;
  const gone: Array<() => void> = [];
  return {
    serverSdp: pending.sdp,
    dialog: () => dialog,
    async answer(sdp) {
      if (ended) throw new Error('media session released');
      const d = await pending.ack(sdp);
      // our first SDP on the media server's dialog went in the ACK, where srf does not keep it
      sentFirst(d, sdp);
      dialog = d;
      d.on('destroy', () => {
        if (ended) return;
        ended = true;
        for (const cb of gone.splice(0)) cb();
      });
    },
    async release() {
      if (ended) return;
      ended = true;
      if (dialog) {
        if (isConnected(dialog)) hangUp(dialog);
      } else {
        await pending.destroy().catch(() => undefined);
      }
    },
    onGone: (cb) => void gone.push(cb),
  };
}

/** An established SIP dialog with a media server as a session (its BYE is `gone`). */
function dialogSession(dialog: Srf.Dialog, serverSdp: string): OpenedSession {
  let ended = false;
  const gone: Array<() => void> = [];
  dialog.on('destroy', () => {
    if (ended) return;
    ended = true;
    for (const cb of gone.splice(0)) cb();
  });
  return {
    serverSdp,
    dialog: () => dialog,
    answer: async () => undefined,
    async release() {
      if (ended) return;
      ended = true;
      if (isConnected(dialog)) hangUp(dialog);
    },
    onGone: (cb) => void gone.push(cb),
  };
}
