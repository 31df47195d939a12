import dgram from 'node:dgram';

/**
 * An INVITE flood from one loopback address: new transactions (a fresh Call-ID and branch
 * each, no credentials) as fast as one socket can push them, for `seconds`. Answers are
 * read and counted, never acted on.
 */
export interface FloodResult {
  sent: number;
  seconds: number;
  rate: number;
  answers: Record<string, number>;
}

export async function flood(opts: { source: string; targetHost: string; targetPort: number; callee: string; domain: string; seconds: number }): Promise<FloodResult> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind({ address: opts.source, port: 0 }, resolve));
  s.on('error', () => undefined);
  const port = s.address().port;
  const answers: Record<string, number> = {};
  s.on('message', (m) => {
    const code = m.toString('latin1', 0, 7) === 'SIP/2.0' ? m.toString('latin1', 8, 11) : 'request';
    answers[code] = (answers[code] ?? 0) + 1;
  });
  const sdp = ['v=0', `o=flood 1 1 IN IP4 ${opts.source}`, 's=-', `c=IN IP4 ${opts.source}`, 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=sendrecv', ''].join('\r\n');
  const head = (n: number): string => [`INVITE sip:${opts.callee}@${opts.domain}:${opts.targetPort} SIP/2.0`,
    `Via: SIP/2.0/UDP ${opts.source}:${port};branch=z9hG4bK-flood-${process.pid}-${n};rport`, `From: <sip:flood@${opts.domain}>;tag=fl${n}`,
    `To: <sip:${opts.callee}@${opts.domain}>`, `Call-ID: flood-${process.pid}-${n}`, 'CSeq: 1 INVITE', `Contact: <sip:flood@${opts.source}:${port}>`,
    'Max-Forwards: 70', 'Content-Type: application/sdp', `Content-Length: ${sdp.length}`, '', sdp].join('\r\n');
  const t0 = Date.now();
  const end = t0 + opts.seconds * 1000;
  let sent = 0;
  // batches of sends, each awaited, so the socket's queue stays bounded and the event loop turns
  while (Date.now() < end) {
    await Promise.all(Array.from({ length: 64 }, () => new Promise<void>((resolve) => s.send(head(sent++), opts.targetPort, opts.targetHost, () => resolve()))));
  }
  const seconds = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  s.close();
  return { sent, seconds, rate: sent / seconds, answers };
}
