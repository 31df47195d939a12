import assert from 'node:assert/strict';
import { parseDatagram, parseStream } from '../../../lib/engine/sip/parser';
import { parseNameAddr, tagOf } from '../../../lib/engine/sip/name-addr';
import { parseParams } from '../../../lib/engine/sip/params';
import { parseSipUri } from '../../../lib/engine/sip/uri';
import { parseVia, topViaBranch } from '../../../lib/engine/sip/via';
import { splitList } from '../../../lib/engine/sip/headers';
import { validateRequest } from '../../../lib/engine/sip/validate';
import { StreamBuffer } from '../../../lib/engine/transport/stream-buffer';

/**
 * Every parser of network input runs in time linear in its input (issue #13): the time
 * at 8x the size stays under 20x the time at 1x (linear would be 8x; quadratic 64x).
 * Best of several runs, each repeated until it costs enough to time. Time is this
 * process's CPU time, not the wall clock: on a loaded machine a short run fits in one
 * scheduler slice while a long one is shared with other processes.
 */
function timeOf(fn: () => void): number {
  let reps = 1;
  for (;;) {
    const start = process.cpuUsage();
    for (let i = 0; i < reps; i++) fn();
    const used = process.cpuUsage(start);
    const ns = (used.user + used.system) * 1000;
    if (ns > 4e6 || reps >= 1 << 16) return ns / reps;
    reps *= 4;
  }
}

function best(fn: () => void, runs = 7): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) min = Math.min(min, timeOf(fn));
  return min;
}

/**
 * 1x is 1,000 characters, 8x is 8,000 (about the header-line bound): past ~16,000 list
 * elements V8 moves arrays to large-object space and every parser, String.split
 * included, steps up in cost; that is a constant of the heap, not of the algorithm.
 */
function assertLinear(label: string, make: (n: number) => string, parse: (s: string) => unknown, n = 1000): void {
  const small = make(n);
  const large = make(8 * n);
  let t1 = 0;
  let t8 = Infinity;
  // a quadratic parser is ~64x every time; a busy machine only sometimes inflates one side
  for (let attempt = 0; attempt < 3 && t8 >= 20 * t1; attempt++) {
    t1 = best(() => parse(small));
    t8 = best(() => parse(large));
  }
  assert.ok(t8 < 20 * t1, `${label}: ${(t8 / 1e3).toFixed(1)} us at 8x vs ${(t1 / 1e3).toFixed(1)} us at 1x (ratio ${(t8 / t1).toFixed(1)})`);
}

const RUNS: Record<string, (n: number) => string> = {
  spaces: (n) => ' '.repeat(n),
  quotes: (n) => '"'.repeat(n),
  lt: (n) => '<'.repeat(n),
  semis: (n) => ';'.repeat(n),
  commas: (n) => ','.repeat(n),
  equals: (n) => '='.repeat(n),
  nested: (n) => '<'.repeat(n / 2) + '>'.repeat(n / 2),
  semiSpace: (n) => '; '.repeat(n / 2),
  tagSpace: (n) => ';tag'.padEnd(n, ' '),
  atSigns: (n) => 'a@'.repeat(n / 2),
  colons: (n) => ':'.repeat(n),
  quotedEscapes: (n) => '"' + '\\"'.repeat(n / 2),
};

function request(header: string, value: string): Buffer {
  return Buffer.from([`OPTIONS sip:x@example.com SIP/2.0`, 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1', 'From: <sip:a@example.com>;tag=1',
    'To: <sip:x@example.com>', 'Call-ID: lt', 'CSeq: 1 OPTIONS', `${header}: ${value}`, 'Content-Length: 0', '', ''].join('\r\n'));
}

describe('engine: parsers run in linear time on pathological input', function () {
  this.timeout(120000);

  for (const [name, run] of Object.entries(RUNS)) {
    it(`a run of ${name}`, () => {
      assertLinear(`name-addr ${name}`, (n) => `"x" ${run(n)}`, parseNameAddr);
      assertLinear(`name-addr tail ${name}`, (n) => `<sip:a@b>${run(n)}`, parseNameAddr);
      assertLinear(`tag ${name}`, (n) => `<sip:a@b>;x${run(n)}`, tagOf);
      assertLinear(`params ${name}`, (n) => `;a${run(n)}`, parseParams);
      assertLinear(`uri ${name}`, (n) => `sip:${run(n)}`, parseSipUri);
      assertLinear(`uri host ${name}`, (n) => `sip:a@host${run(n)}`, parseSipUri);
      assertLinear(`via ${name}`, (n) => `SIP/2.0/UDP host${run(n)}`, parseVia);
      assertLinear(`via proto ${name}`, (n) => `SIP${run(n)}/2.0/UDP h`, parseVia);
      assertLinear(`via branch ${name}`, (n) => `SIP/2.0/UDP h;branch=${run(n)}`, topViaBranch);
      assertLinear(`list ${name}`, (n) => `a${run(n)}`, splitList);
      assertLinear(`contact header ${name}`, (n) => request('Contact', run(n)).toString('latin1'), (s) => {
        const r = parseDatagram(Buffer.from(s, 'latin1'));
        if (r.kind === 'message') validateRequest(r.msg);
      });
      assertLinear(`start line ${name}`, (n) => `INVITE sip:${run(n)} SIP/2.0\r\n\r\n`, (s) => parseDatagram(Buffer.from(s, 'latin1')));
    });
  }

  it('many short header lines and many folded lines', () => {
    assertLinear('headers', (n) => `OPTIONS sip:x SIP/2.0\r\n${'X: y\r\n'.repeat(n / 8)}\r\n`, (s) => parseDatagram(Buffer.from(s)));
    assertLinear('folding', (n) => `OPTIONS sip:x SIP/2.0\r\nX: y\r\n${' z\r\n'.repeat(n / 8)}\r\n`, (s) => parseDatagram(Buffer.from(s)));
  });

  it('a message trickled into a stream one octet at a time', () => {
    const feed = (s: string): void => {
      const buf = Buffer.from(s);
      const sb = new StreamBuffer(65535);
      for (let i = 0; i < buf.length; i++) {
        if (sb.push(buf.subarray(i, i + 1))) {
          const r = parseStream(sb.contents(), 65535);
          if (r.kind === 'incomplete') sb.waitFor(r.needed);
        }
      }
    };
    assertLinear('trickle', (n) => `OPTIONS sip:x SIP/2.0\r\nX: ${'y'.repeat(n)}\r\nContent-Length: ${n}\r\n\r\n${'b'.repeat(n)}`, feed);
  });
});
