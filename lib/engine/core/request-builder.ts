import type { Dialog } from '../dialog/dialog';
import { newBranch, newCallId, newCseq, newTag } from '../sip/ids';
import { SipMessage } from '../sip/message';
import { parseNameAddr, tagOf } from '../sip/name-addr';
import { parseSipUri } from '../sip/uri';
import type { EngineContext } from './context';

/** Headers the engine writes itself on requests it sends. */
const OWNED = new Set(['via', 'call-id', 'cseq', 'content-length']);

function copyAppHeaders(from: SipMessage, to: SipMessage, skip: Set<string>): void {
  for (const h of from.headers) if (!skip.has(h.key)) to.headers.push({ ...h });
}

/** drachtio replaces the host `localhost` in From and Contact with its own address. */
function fixLocalhost(value: string, sentBy: string): string {
  return value.replace(/@localhost(?=[>;:\s]|$)/i, `@${sentBy}`);
}

/**
 * A new out-of-dialog request from the app (RFC 3261 8.1.1): the engine supplies
 * what the app left out: From tag, To, Call-ID, CSeq, Max-Forwards, Contact.
 */
export function buildNewRequest(ctx: EngineContext, app: SipMessage, transport: 'udp' | 'tcp'): SipMessage {
  const m = SipMessage.request(app.method, app.uri);
  const sentBy = ctx.sentBy();
  m.append('Via', `SIP/2.0/${transport.toUpperCase()} ${sentBy};rport;branch=${newBranch()}`);
  m.append('Max-Forwards', app.get('max-forwards') ?? '70');
  let from = app.get('from') ?? `<sip:${sentBy}>`;
  from = fixLocalhost(from, sentBy);
  if (!tagOf(from)) from = `${from};tag=${newTag()}`;
  m.append('From', from);
  m.append('To', app.get('to') ?? `<${app.uri}>`);
  m.append('Call-ID', app.get('call-id') ?? newCallId());
  const cseq = app.cseq;
  m.append('CSeq', `${Number.isFinite(cseq.seq) ? cseq.seq : newCseq()} ${app.method}`);
  const contact = app.get('contact');
  if (contact) m.append('Contact', fixLocalhost(contact, sentBy));
  else if (['INVITE', 'SUBSCRIBE', 'REFER'].includes(app.method)) m.append('Contact', ctx.contact(transport));
  copyAppHeaders(app, m, new Set([...OWNED, 'from', 'to', 'max-forwards', 'contact']));
  m.body = app.body;
  if (m.body.length > 0 && !m.has('content-type')) m.set('Content-Type', 'application/sdp');
  return m;
}

/**
 * A request inside a dialog (RFC 3261 12.2.1.1): R-URI from the remote target, Route
 * from the route set (strict routing when the first route has no `lr`), tags and
 * Call-ID from the dialog, the next local CSeq (the INVITE's for an ACK).
 */
export function buildInDialogRequest(ctx: EngineContext, d: Dialog, app: SipMessage, transport: 'udp' | 'tcp'): SipMessage {
  let uri = d.remoteTarget;
  let routes = d.routeSet;
  const first = routes[0] ? parseNameAddr(routes[0]) : null;
  if (first && !parseSipUri(first.uri)?.params.has('lr')) {
    uri = first.uri;
    routes = [...routes.slice(1), `<${d.remoteTarget}>`];
  }
  const m = SipMessage.request(app.method, uri);
  m.append('Via', `SIP/2.0/${transport.toUpperCase()} ${ctx.sentBy()};rport;branch=${newBranch()}`);
  m.append('Max-Forwards', '70');
  m.append('From', d.localUri);
  m.append('To', d.remoteUri);
  m.append('Call-ID', d.callId);
  let seq: number;
  if (app.method === 'ACK') seq = d.ackCseq;
  else {
    d.localSeq = d.localSeq ? d.localSeq + 1 : newCseq();
    seq = d.localSeq;
  }
  m.append('CSeq', `${seq} ${app.method}`);
  for (const r of routes) m.append('Route', r);
  const contact = app.get('contact');
  if (contact) m.append('Contact', fixLocalhost(contact, ctx.sentBy()));
  else if (['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER'].includes(app.method)) m.append('Contact', ctx.contact(transport));
  copyAppHeaders(app, m, new Set([...OWNED, 'from', 'to', 'max-forwards', 'contact', 'route']));
  m.body = app.body;
  if (m.body.length > 0 && !m.has('content-type')) m.set('Content-Type', 'application/sdp');
  return m;
}

/** RFC 3261 9.1: a CANCEL copies R-URI, Call-ID, From, To, CSeq number, Route and the top Via. */
export function buildCancel(invite: SipMessage, app: SipMessage): SipMessage {
  const m = SipMessage.request('CANCEL', invite.uri);
  m.append('Via', invite.get('via') ?? '');
  m.append('Max-Forwards', '70');
  m.append('From', invite.get('from') ?? '');
  m.append('To', invite.get('to') ?? '');
  m.append('Call-ID', invite.callId);
  m.append('CSeq', `${invite.cseq.seq} CANCEL`);
  for (const r of invite.getAll('route')) m.append('Route', r);
  copyAppHeaders(app, m, new Set([...OWNED, 'from', 'to', 'max-forwards', 'route', 'contact', 'content-type']));
  return m;
}

/** RFC 3261 17.1.1.3: the ACK for a non-2xx final, built by the transaction. */
export function buildNon2xxAck(invite: SipMessage, response: SipMessage): SipMessage {
  const m = SipMessage.request('ACK', invite.uri);
  m.append('Via', invite.get('via') ?? '');
  m.append('Max-Forwards', '70');
  m.append('From', invite.get('from') ?? '');
  m.append('To', response.get('to') ?? invite.get('to') ?? '');
  m.append('Call-ID', invite.callId);
  m.append('CSeq', `${invite.cseq.seq} ACK`);
  for (const r of invite.getAll('route')) m.append('Route', r);
  return m;
}
