import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseDatagram, parseStream } from '../../../lib/engine/sip/parser';
import { parseNameAddr, tagOf } from '../../../lib/engine/sip/name-addr';
import { parseVia, topViaBranch } from '../../../lib/engine/sip/via';
import { validateRequest } from '../../../lib/engine/sip/validate';
import { RFC4475_DIR } from '../../support/test-data';

const DATA = RFC4475_DIR;
const load = (f: string): Buffer => fs.readFileSync(path.join(DATA, f));

function parsed(file: string) {
  const r = parseDatagram(load(file));
  assert.equal(r.kind, 'message', `${file}: ${r.kind === 'error' ? r.reason : r.kind}`);
  return r.kind === 'message' ? r.msg : assert.fail();
}

describe('engine: SIP parser', () => {
  it('never throws on any RFC 4475 message, truncated anywhere', () => {
    for (const f of fs.readdirSync(DATA).filter((x) => x.endsWith('.dat'))) {
      const buf = load(f);
      for (let cut = 0; cut <= buf.length; cut += 7) {
        const part = buf.subarray(0, cut);
        parseDatagram(part);
        parseStream(part, 65535);
        const m = parseDatagram(part);
        if (m.kind === 'message' && m.msg.isRequest) validateRequest(m.msg);
      }
    }
  });

  it('unfolds lines, expands compact forms and tolerates odd whitespace (wsinv)', () => {
    const m = parsed('wsinv.dat');
    assert.equal(m.method, 'INVITE');
    assert.equal(m.callId, 'wsinv.ndaksdj@192.0.2.1');
    assert.deepEqual(m.cseq, { seq: 9, method: 'INVITE' });
    assert.equal(tagOf(m.get('to')), '1918181833n');
    assert.equal(tagOf(m.get('from')), '98asjd8');
    assert.equal(m.getAll('via').length, 3);
    assert.equal(parseVia(m.getAll('via')[1])?.host, 'spindle.example.com');
    assert.equal(m.get('NewFangledHeader'), 'newfangled value continued newfangled value');
    assert.equal(m.body.length, 150);
  });

  it('reads the top Via\'s branch through the Via grammar (RFC 3261 17.1.3), not by searching for "branch="', () => {
    assert.equal(topViaBranch('SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK-1'), 'z9hG4bK-1');
    assert.equal(topViaBranch('SIP/2.0/UDP 192.0.2.1;xbranch=z9hG4bK-2'), '', 'xbranch is another parameter');
    assert.equal(topViaBranch('SIP/2.0/UDP 192.0.2.1;x="branch=z9hG4bK-3"'), '', 'nor is a quoted value');
    assert.equal(topViaBranch('SIP/2.0/UDP 192.0.2.1 junk;branch=z9hG4bK-4'), '', 'an unreadable Via has none');
    assert.equal(topViaBranch(undefined), '');
  });

  it('keeps an escaped header name as a different header (esc02: two Contacts, not three)', () => {
    const m = parsed('esc02.dat');
    assert.equal(m.getAll('contact').length, 2);
    assert.equal(m.method, 'RE%47IST%45R');
  });

  it('discards datagram octets past Content-Length (dblreq)', () => {
    const m = parsed('dblreq.dat');
    assert.equal(m.method, 'REGISTER');
    assert.equal(m.body.length, 0);
  });

  it('frames binary bodies by Content-Length (mpart01)', () => {
    const m = parsed('mpart01.dat');
    assert.equal(m.body.length, Number(m.get('content-length')));
  });

  it('takes the rest of the datagram as body without Content-Length (inv2543)', () => {
    const m = parsed('inv2543.dat');
    assert.ok(m.body.toString().startsWith('v=0'));
  });

  for (const [file, why] of [['mcl01.dat', 'conflicting'], ['ncl.dat', 'negative'], ['clerr.dat', 'too large']]) {
    it(`refuses a ${why} Content-Length (${file})`, () => {
      const r = parseDatagram(load(file));
      assert.equal(r.kind, 'error');
      assert.ok(r.kind === 'error' && r.msg?.isRequest, 'enough is kept to answer 400');
    });
  }

  it('rejects what RFC 4475 says to reject', () => {
    const cases: Record<string, number> = {
      'badinv01.dat': 400, 'quotbal.dat': 400, 'regbadct.dat': 400, 'baddn.dat': 400,
      'mismatch01.dat': 400, 'multi01.dat': 400, 'insuf.dat': 400, 'scalar02.dat': 400, 'escruri.dat': 400,
      'unkscm.dat': 416, 'novelsc.dat': 416, 'bext01.dat': 420,
    };
    for (const [file, status] of Object.entries(cases)) {
      assert.equal(validateRequest(parsed(file))?.status, status, file);
    }
    for (const file of ['wsinv.dat', 'longreq.dat', 'esc01.dat', 'escnull.dat', 'lwsdisp.dat', 'semiuri.dat', 'transports.dat', 'zeromf.dat', 'inv2543.dat', 'cparam01.dat', 'regescrt.dat', 'badaspec.dat']) {
      assert.equal(validateRequest(parsed(file)), null, file);
    }
  });

  it('frames a TCP stream: keep-alives, two messages in one chunk, a message split anywhere', () => {
    const one = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 3\r\n\r\nabc';
    const ping = parseStream(Buffer.from('\r\n\r\n'), 65535);
    assert.ok(ping.kind === 'skip' && ping.consumed === 4);
    const stream = Buffer.from(`\r\n\r\n${one}${one}`);
    let r = parseStream(stream, 65535);
    assert.ok(r.kind === 'message' && r.consumed === one.length + 4);
    const rest = stream.subarray(r.kind === 'message' ? r.consumed : 0);
    r = parseStream(rest, 65535);
    assert.ok(r.kind === 'message' && r.msg.body.toString() === 'abc');
    for (let cut = 1; cut < one.length; cut++) assert.equal(parseStream(Buffer.from(one.slice(0, cut)), 65535).kind, 'incomplete');
  });

  it('parses name-addr forms', () => {
    assert.deepEqual(parseNameAddr('"A, B" <sip:a@b;x=1>;tag=9')?.uri, 'sip:a@b;x=1');
    assert.equal(parseNameAddr('sip:a@b;tag=9')?.params.get('tag'), '9');
    assert.equal(parseNameAddr('Bob <sip:bob@b>')?.display, 'Bob');
    assert.equal(parseNameAddr('"open <sip:x@y>'), null);
  });
});
