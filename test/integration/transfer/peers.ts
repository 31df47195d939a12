import { header, type PeerDialog, type SipMessage, type SipPeer } from '../races/sip-peer';

/** `from` calls `to` on `callee`, which answers with `sdp`: both dialogs. */
export async function connect(from: SipPeer, user: string, callee: SipPeer, to: string, sdp: { caller?: string; callee?: string } = {}): Promise<{ caller: PeerDialog; callee: PeerDialog }> {
  const out = from.call({ to, user, ...(sdp.caller ? { sdp: sdp.caller } : {}) });
  const inv = await callee.nextInvite();
  inv.send(200, sdp.callee ?? callee.sdp());
  const r = await out.result;
  if (r.response.status !== 200 || !r.dialog) throw new Error(`${user} -> ${to}: ${r.response.status}`);
  return { caller: r.dialog, callee: inv.dialog };
}

export function byeIn(p: SipPeer, callId: string, timeoutMs = 10000): Promise<SipMessage> {
  return p.waitRequest((m) => m.method === 'BYE' && header(m, 'call-id') === callId, timeoutMs, `BYE in ${callId}`);
}

/** The NOTIFY (Event: refer) in a dialog whose sipfrag starts with `SIP/2.0 <status>`. */
export function notifyIn(p: SipPeer, callId: string, status: number, timeoutMs = 10000): Promise<SipMessage> {
  return p.waitRequest((m) => m.method === 'NOTIFY' && header(m, 'call-id') === callId && m.body.startsWith(`SIP/2.0 ${status} `),
    timeoutMs, `NOTIFY ${status} in ${callId}`);
}
