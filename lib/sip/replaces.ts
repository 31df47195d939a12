/**
 * RFC 3891 6.1: `Replaces: callid;to-tag=..;from-tag=..[;early-only]`. The tags are as
 * the dialog's recipient of the INVITE sees them: to-tag is its local tag, from-tag the
 * remote one.
 */
export interface Replaces {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
}

/** The parsed header, or undefined if it lacks a Call-ID or either tag (RFC 3891 6.1: both are required). */
export function parseReplaces(value: string | undefined): Replaces | undefined {
  if (!value) return undefined;
  const [callId, ...params] = value.split(';').map((s) => s.trim());
  if (!callId) return undefined;
  const p = new Map<string, string>();
  for (const param of params) {
    const i = param.indexOf('=');
    p.set((i === -1 ? param : param.slice(0, i)).toLowerCase(), i === -1 ? '' : param.slice(i + 1));
  }
  const toTag = p.get('to-tag');
  const fromTag = p.get('from-tag');
  if (!toTag || !fromTag) return undefined;
  return { callId, toTag, fromTag, earlyOnly: p.has('early-only') };
}
