/**
 * Parser for sipp's -trace_msg message file (sipp 3.6.1). Each sent or received SIP
 * message is one entry:
 *
 *   ----------------------------------------------- 2026-11-21 23:54:58.270123
 *   UDP message sent (511 bytes):
 *
 *   INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n ... (exactly 511 bytes)
 *
 * and for received ones the header line reads `UDP message received [309] bytes :`
 * (TCP and TLS alike, with their own transport name). A message sipp then drops on
 * purpose (-lost) is followed by a note such as `UDP message lost (recv).` with no line
 * end, so the next entry's dashes need not start a line. Other entries sipp writes to
 * the same file (unexpected messages, ignored retransmissions) are skipped.
 */

export type SippDirection = 'sent' | 'received';

export interface SippEvent {
  dir: SippDirection;
  /** the start line, e.g. `INVITE sip:a@127.0.0.1:5070 SIP/2.0` or `SIP/2.0 180 Ringing` */
  firstLine: string;
  /** the status code for a response, undefined for a request */
  status?: number;
  /** the method for a request; for a response, the method of its CSeq */
  method: string;
  /** the whole message as it went over the wire (CRLF line ends) */
  message: string;
  /** the same message went the same way before: a UDP retransmission, sipp's or its peer's */
  retransmission: boolean;
  /** dropped by sipp's loss simulation (-lost): a sent one never left, a received one was ignored */
  lost: boolean;
  /** `UDP`, `TCP`, ... as sipp names it */
  transport: string;
  /** sipp's wall-clock time of the entry, `YYYY-MM-DD HH:MM:SS.micro` */
  time: string;
}

const ENTRY = /-{47} (\S+ \S+)\n([A-Z0-9]+) message (sent|received) (?:\((\d+) bytes\):|\[(\d+)\] bytes :)\n\n/g;
const LOST_NOTE = /^\n?[A-Z0-9]+ message [^\n]*lost/;

/** Values of a header in a SIP message (all occurrences, in order; compact forms not expanded). */
export function sipHeaders(message: string, name: string): string[] {
  const head = message.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const wanted = name.toLowerCase();
  const out: string[] = [];
  for (const line of head.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted) out.push(line.slice(colon + 1).trim());
  }
  return out;
}

function describe(firstLine: string, message: string): { status?: number; method: string } {
  const status = /^SIP\/2\.0 (\d{3})/.exec(firstLine);
  if (status) {
    const cseq = sipHeaders(message, 'CSeq')[0] ?? '';
    return { status: Number(status[1]), method: cseq.split(/\s+/)[1] ?? '' };
  }
  return { method: firstLine.split(' ', 1)[0] ?? '' };
}

/** The SIP messages in a -message_file, in the order sipp logged them. */
export function parseMessageTrace(trace: Buffer): SippEvent[] {
  // latin1 maps each byte to one char, so string offsets are byte offsets
  const text = trace.toString('latin1');
  const events: SippEvent[] = [];
  const seen = new Set<string>();
  ENTRY.lastIndex = 0;
  for (let m = ENTRY.exec(text); m; m = ENTRY.exec(text)) {
    const start = m.index + m[0].length;
    const length = Number(m[4] ?? m[5]);
    const message = trace.subarray(start, start + length).toString('utf8');
    const firstLine = message.split(/\r?\n/, 1)[0] ?? '';
    const dir = m[3] as SippDirection;
    const key = `${dir}\n${message}`;
    events.push({
      dir,
      firstLine,
      ...describe(firstLine, message),
      message,
      retransmission: seen.has(key),
      lost: LOST_NOTE.test(text.slice(start + length, start + length + 80)),
      transport: m[2] ?? '',
      time: m[1] ?? '',
    });
    seen.add(key);
    ENTRY.lastIndex = start + length;
  }
  return events;
}
