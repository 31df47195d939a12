import { parse, write, type MediaDescription } from 'sdp-transform';

/** RFC 3551 6: the static payload types a phone may list without an rtpmap. */
const STATIC: Record<number, string> = { 0: 'pcmu/8000', 3: 'gsm/8000', 4: 'g723/8000', 8: 'pcma/8000', 9: 'g722/8000', 18: 'g729/8000' };

function codecsOf(m: MediaDescription): Map<number, string> {
  const out = new Map<number, string>();
  for (const pt of String(m.payloads ?? '').split(/\s+/).filter(Boolean).map(Number)) {
    const rtp = m.rtp.find((r) => r.payload === pt);
    const name = rtp ? `${rtp.codec}/${rtp.rate ?? ''}`.toLowerCase() : STATIC[pt];
    if (name) out.set(pt, name);
  }
  return out;
}

/**
 * `sdp` cut down to an answer to `offer` (RFC 3264 6.1: an answer lists only formats the
 * offer has): per m-line, the formats whose codec (name and rate) the offer also lists.
 * Used where two parties' offers meet through rtpengine (a pickup joins the caller's
 * offer and the picker's). Undefined when an audio line would keep no voice codec.
 */
export function restrictToOffer(sdp: string, offer: string): string | undefined {
  const s = parse(sdp);
  const o = parse(offer);
  for (let i = 0; i < s.media.length; i++) {
    const m = s.media[i];
    const om = o.media[i];
    if (!om || m.port === 0) continue;
    const allowed = new Set(codecsOf(om).values());
    const codecs = codecsOf(m); // once: per kept format it made this quadratic in the m-line
    const keep = [...codecs].filter(([, name]) => allowed.has(name)).map(([pt]) => pt);
    const voice = keep.filter((pt) => !/^telephone-event|^cn\//.test(codecs.get(pt) ?? ''));
    if (m.type === 'audio' && voice.length === 0) return undefined;
    const kept = new Set(keep);
    m.payloads = keep.join(' ');
    m.rtp = m.rtp.filter((r) => kept.has(r.payload));
    if (m.fmtp) m.fmtp = m.fmtp.filter((f) => kept.has(f.payload));
    if (m.rtcpFb) m.rtcpFb = m.rtcpFb.filter((f) => f.payload === '*' || kept.has(Number(f.payload)));
  }
  return write(s);
}
