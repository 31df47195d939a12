import type Srf from 'drachtio-srf';
import { srfApp } from '../sip/srf-app';
import { addressParts, headerParam, nameAddr, splitAddressList } from '../sip/name-addr';
import type { DialogSnapshot } from '../store';
import type { Call } from './call';
import { continueOrigin, originLine, sentFirst } from '../sip/sdp-origin';

/** What a dialog is continued from (the type lives with the records that store it). */
export type { DialogSnapshot };

/** The highest CSeq RFC 3261 8.1.1.5 allows is below 2^31. */
const CSEQ_LIMIT = 2 ** 31;
/**
 * The CSeq of the first request an instance sends in a dialog it resumed. The engine
 * that died chose its own numbers and we never saw them (the embedded engine starts
 * below 10^8, sofia-sip under drachtio-server below 2^27, and both count up by one), so
 * the new owner starts far above them: RFC 3261 12.2.2 makes the far end refuse a lower
 * number with 500, and any higher one is fine.
 */
const RESUME_CSEQ = 2 ** 30;
/** Room left for the requests one owner sends before the next resumes the dialog. */
const CSEQ_STRIDE = 2 ** 20;

/** The CSeq a new owner uses after `previous` (the last owner's starting CSeq, if it too resumed the dialog). */
export function resumeCseq(previous?: number): number {
  const next = previous === undefined ? RESUME_CSEQ : previous + CSEQ_STRIDE;
  if (next >= CSEQ_LIMIT) throw new Error('dialog resumed too many times: no CSeq left');
  return next;
}

/** Record-Route and Route values one by one (each is a name-addr, RFC 3261 20.30). */
export function routeList(header: string | undefined): string[] {
  // a linear scanner (name-addr.ts): a global regular expression here was quadratic on `<<<<...`
  return header ? splitAddressList(header).filter((v) => nameAddr(v) !== undefined) : [];
}

function withTag(value: string, tag: string): string {
  return headerParam(addressParts(value).params, 'tag') !== undefined ? value : `${value};tag=${tag}`;
}

/**
 * The snapshot of a live dialog, from the request and response that made it (RFC 3261
 * 12.1.1 for ours as UAS: the route set is the request's Record-Route in order; 12.1.2
 * as UAC: the response's, reversed).
 */
export function snapshotOf(d: Srf.Dialog): DialogSnapshot {
  // a dialog resumed here: its route set is the one it was resumed with (the INVITE that
  // resumed it carried none, and a re-INVITE's 2xx brings no Record-Route)
  const resumed = resumedFrom.get(d);
  const origin = originLine(d) ?? resumed?.origin;
  if (resumed) return { ...resumed, target: d.remote.uri, ...(origin ? { origin } : {}) };
  const { type, req, res } = d;
  const base = { callId: d.sip.callId, localTag: d.sip.localTag, remoteTag: d.sip.remoteTag, target: d.remote.uri, ...(origin ? { origin } : {}) };
  if (type === 'uas') {
    return { ...base, local: withTag(req.get('To'), d.sip.localTag), remote: req.get('From'), routes: routeList(req.get('Record-Route')) };
  }
  return { ...base, local: req.get('From'), remote: withTag(res.get('To'), d.sip.remoteTag), routes: routeList(res.get('Record-Route')).reverse() };
}

/** The snapshot each dialog resumed by this process was resumed from. */
const resumedFrom = new WeakMap<Srf.Dialog, DialogSnapshot>();

/**
 * Continues a dialog whose engine died, from this instance's engine: an INVITE inside
 * the old dialog (its Call-ID and both tags, a CSeq from `resumeCseq`) offering `sdp`,
 * sent to the first hop of the route set. To the far end it is a re-INVITE; its Contact
 * is a target refresh (RFC 3261 12.2.1.2), so from then on the party's requests come
 * here. drachtio-server lets no app set Route headers, so the request carries none: the
 * edge proxy of the route set relays it by its Request-URI (deploy/edge trusts engines).
 */
export async function resumeDialog(srf: Srf, snap: DialogSnapshot, sdp: string, cseq: number): Promise<Srf.Dialog> {
  const headers = { 'Call-ID': snap.callId, From: snap.local, To: snap.remote, CSeq: `${cseq} INVITE` };
  const first = snap.routes[0] ? nameAddr(snap.routes[0])?.uri : undefined;
  // to the far end this is one more offer in its session: the o= it knows, version + 1
  const offer = continueOrigin(snap.origin, sdp);
  const d = await srfApp(srf).createUAC(snap.target, { headers, localSdp: offer, ...(first ? { proxy: first } : {}) });
  sentFirst(d, offer);
  resumedFrom.set(d, { ...snap, cseq });
  return d;
}

/** The snapshot with the far end's last SDP: what a live call's record keeps of each party. */
export function legSnapshot(d: Srf.Dialog): DialogSnapshot {
  const sdp = d.remote.sdp;
  return { ...snapshotOf(d), ...(sdp ? { sdp } : {}) };
}

/**
 * Each party's dialog of a call, as its record keeps them. A dialog that cannot be
 * described (a test's stand-in without the INVITE it came from) is left out: the call
 * is then not continued after a crash, only its record is missing that much.
 */
export function callSnapshots(call: Pick<Call, 'uas' | 'uac'>): { caller?: DialogSnapshot; callee?: DialogSnapshot } | undefined {
  const out: { caller?: DialogSnapshot; callee?: DialogSnapshot } = {};
  for (const [side, d] of [['caller', call.uas], ['callee', call.uac]] as const) {
    if (!d) continue;
    try {
      out[side] = legSnapshot(d);
    } catch {
      // not described: see above
    }
  }
  return out.caller || out.callee ? out : undefined;
}

/**
 * BYE inside a dialog this engine does not hold (its engine died; RFC 3261 15.1.1: the
 * dialog's Call-ID, tags and route set, a CSeq above any sent in it). Resolves with the
 * final status, or 408 when none came within `timeoutMs`; never rejects: the dialog is
 * over for us either way.
 */
export async function byeDialog(srf: Srf, snap: DialogSnapshot, cseq: number, timeoutMs = 8000): Promise<number> {
  const headers = { 'Call-ID': snap.callId, From: snap.local, To: snap.remote, CSeq: `${cseq} BYE` };
  const first = snap.routes[0] ? nameAddr(snap.routes[0])?.uri : undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const req = await srfApp(srf).request(snap.target, { method: 'BYE', headers, ...(first ? { proxy: first } : {}) });
    return await new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(408), timeoutMs);
      req.on('response', (res?: Srf.SrfResponse) => {
        if (res && res.status >= 200) resolve(res.status);
      });
    });
  } catch {
    return 503;
  } finally {
    clearTimeout(timer);
  }
}
