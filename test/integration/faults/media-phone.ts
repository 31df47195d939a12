import assert from 'node:assert/strict';
import { createRtpEndpoint, mediaTarget, type RtpEndpoint } from '../../support/rtp';
import { header, SipPeer, type PeerDialog } from '../races/sip-peer';

/**
 * A phone with a voice: a raw SIP peer (races/sip-peer.ts) whose every SDP, offers and
 * answers to re-INVITEs alike, advertises its own RTP endpoint, so a test can check that
 * media really flows both ways through rtpengine before and after a fault.
 */
export class MediaPhone extends SipPeer {
  rtp!: RtpEndpoint;

  override async start(): Promise<this> {
    this.rtp = await createRtpEndpoint(this.address);
    return super.start();
  }

  override sdp(): string {
    return super.sdp(this.rtp.port);
  }

  override close(): void {
    super.close();
    void this.rtp?.stop();
  }

  /** The last SDP the server sent this phone in the dialog: its last re-INVITE's offer, else `initial`. */
  serverSdp(callId: string, initial: string): string {
    const offers = this.received.filter((m) => m.method === 'INVITE' && header(m, 'call-id') === callId && m.body.length > 0);
    return offers.at(-1)?.body ?? initial;
  }
}

/** One answered call between two media phones. */
export interface MediaCall {
  a: MediaPhone;
  b: MediaPhone;
  ad: PeerDialog;
  bd: PeerDialog;
  /** the SDP the caller got in the 200, the one the callee got in the INVITE */
  a200: string;
  bInvite: string;
}

let marker = 1;

/** A calls `bUser` (registered at b); b answers; resolves once b has the ACK. */
export async function mediaCall(a: MediaPhone, aUser: string, b: MediaPhone, bUser: string): Promise<MediaCall> {
  const call = a.call({ to: bUser, user: aUser });
  const inv = await b.nextInvite();
  inv.send(200, b.sdp());
  const r = await call.result;
  assert.equal(r.response.status, 200, `${aUser} -> ${bUser}: ${r.response.status}`);
  await b.waitRequest((m) => m.method === 'ACK' && header(m, 'call-id') === inv.dialog.callId, 8000, 'ACK at the callee');
  return { a, b, ad: r.dialog!, bd: inv.dialog, a200: r.response.body, bInvite: inv.request.body };
}

/**
 * RTP both ways: each phone sends to where the server's last SDP in its dialog says, and
 * the other phone must receive it. Rejects when either direction stays silent.
 */
export async function assertMediaFlows(c: MediaCall, timeoutMs = 6000): Promise<void> {
  const ma = (marker = (marker % 250) + 1);
  const mb = (marker = (marker % 250) + 1);
  const ta = mediaTarget(c.a.serverSdp(c.ad.callId, c.a200));
  const tb = mediaTarget(c.b.serverSdp(c.bd.callId, c.bInvite));
  const gotB = c.b.rtp.waitFor(ma, 5, timeoutMs);
  const gotA = c.a.rtp.waitFor(mb, 5, timeoutMs);
  const sa = c.a.rtp.sendTo(ta.address, ta.port, { marker: ma });
  const sb = c.b.rtp.sendTo(tb.address, tb.port, { marker: mb });
  try {
    await Promise.all([gotB, gotA]);
  } finally {
    sa.stop();
    sb.stop();
  }
}

/** Hangs up from the caller's side (BYE answered 200). */
export async function hangUpCall(c: MediaCall): Promise<void> {
  const r = await c.a.request(c.ad, 'BYE');
  assert.equal(r.status, 200, `BYE: ${r.status}`);
}
