import assert from 'node:assert/strict';
import { parseDatagram } from '../../../lib/engine/sip/parser';
import { validateRequest, validateResponse } from '../../../lib/engine/sip/validate';
import { RateLimiter } from '../../../lib/engine/core/rate-limiter';
import { DEFAULT_PARSE_LIMITS } from '../../../lib/engine/sip/limits';
// drachtio-srf's own parser: what an application runs on every message the engine hands it
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SrfSipMessage = require('drachtio-srf/lib/sip-parser/message') as new (raw: string) => { has(h: string): boolean; getParsedHeader(h: string): unknown };

function invite(uri = 'sip:bob@example.com', extra: string[] = []): string {
  return [`INVITE ${uri} SIP/2.0`, 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-lim', 'Max-Forwards: 70',
    'From: "Alice" <sip:alice@example.com>;tag=1', 'To: <sip:bob@example.com>', 'Call-ID: limits@192.0.2.1', 'CSeq: 1 INVITE',
    'Contact: <sip:alice@192.0.2.1>', ...extra, 'Content-Length: 0', '', ''].join('\r\n');
}

function srfParses(text: string): boolean {
  try {
    const m = new SrfSipMessage(text);
    for (const h of ['to', 'from', 'via', 'cseq', 'contact']) if (m.has(h)) m.getParsedHeader(h);
    return true;
  } catch {
    return false;
  }
}

describe('engine: size bounds before parsing', () => {
  it('answers an over-long start line with 414 and keeps what is needed to answer', () => {
    const r = parseDatagram(Buffer.from(invite(`sip:${'a'.repeat(DEFAULT_PARSE_LIMITS.maxStartLine)}@example.com`)));
    assert.equal(r.kind, 'error');
    assert.equal(r.kind === 'error' && r.status, 414);
    assert.equal(r.kind === 'error' && r.msg?.method, 'INVITE');
    assert.equal(r.kind === 'error' && r.msg?.callId, 'limits@192.0.2.1');
  });

  it('refuses an over-long header line and too many headers with 400', () => {
    const long = parseDatagram(Buffer.from(invite(undefined, [`X-Long: ${'x'.repeat(DEFAULT_PARSE_LIMITS.maxHeaderLine)}`])));
    assert.equal(long.kind === 'error' && long.status, 400);
    assert.match(long.kind === 'error' ? long.reason : '', /too long/);
    const many = parseDatagram(Buffer.from(invite(undefined, Array.from({ length: DEFAULT_PARSE_LIMITS.maxHeaders }, (_v, i) => `X-${i}: y`))));
    assert.equal(many.kind === 'error' && many.status, 400);
    assert.match(many.kind === 'error' ? many.reason : '', /too many headers/);
    assert.equal(parseDatagram(Buffer.from(invite(undefined, ['X-Fine: y']))).kind, 'message');
  });

  it('refuses a long run of whitespace in a header line with 400, before drachtio-srf\'s From parser sees it', () => {
    // srf's parseAOR is cubic on `<` then whitespace: this From alone would cost it seconds
    const r = parseDatagram(Buffer.from(invite(undefined, [`X-Pad: <${' '.repeat(DEFAULT_PARSE_LIMITS.maxWhitespaceRun + 1)}x`])));
    assert.equal(r.kind === 'error' && r.status, 400);
    assert.match(r.kind === 'error' ? r.reason : '', /whitespace run/);
    const ok = parseDatagram(Buffer.from(invite(undefined, [`X-Pad: <${' '.repeat(DEFAULT_PARSE_LIMITS.maxWhitespaceRun)}x`])));
    assert.equal(ok.kind, 'message');
  });

  it('keeps a From with a long whitespace run, each run as one SP, so the 400 can be built', () => {
    const r = parseDatagram(Buffer.from(invite().replace('From: "Alice" <sip:alice@example.com>;tag=1',
      `From: "Alice"${' '.repeat(5000)}<\t${' '.repeat(40)}sip:alice@example.com>;tag=1`)));
    assert.equal(r.kind === 'error' && r.status, 400);
    assert.equal(r.kind === 'error' && r.msg?.get('from'), '"Alice" < sip:alice@example.com>;tag=1');
  });

  it('answers a datagram over the message bound with 513, reading only the bound', () => {
    const big = Buffer.from(invite().replace('Content-Length: 0', 'Content-Length: 5000') + 'b'.repeat(5000));
    const r = parseDatagram(big, { ...DEFAULT_PARSE_LIMITS, maxMessage: 1024 });
    assert.equal(r.kind === 'error' && r.status, 513);
    assert.equal(r.kind === 'error' && r.msg?.callId, 'limits@192.0.2.1');
  });
});

describe('engine: what passes validation parses in drachtio-srf', () => {
  // a TAB, other controls and Unicode spaces in the Request-URI: the engine's start-line
  // scanner splits on SP only, drachtio-srf's on any whitespace, so these reached the app,
  // failed there and were never answered (issue #13)
  const bad = ['\t', '\x0b', '\x0c', '\x7f', '\x01', '\u00a0', '\u2028', '\ufeff'];
  for (const c of bad) {
    it(`refuses a Request-URI with ${JSON.stringify(c)} with 400`, () => {
      const r = parseDatagram(Buffer.from(invite(`sip:bo${c}b@example.com`)));
      if (r.kind !== 'message') return assert.equal(r.kind, 'error'); // refused by the parser already
      assert.equal(validateRequest(r.msg)?.status, 400);
      // whitespace breaks drachtio-srf; the other controls are refused as RFC 3261 25.1 says
      if (/\s/.test(c)) assert.equal(srfParses(r.msg.toString()), false, 'drachtio-srf indeed cannot parse it');
    });
  }

  it('refuses a Via that is not SIP/<digits>.<digits> (drachtio-srf reads no other)', () => {
    for (const via of ['SIP/.0/UDP h;branch=z9hG4bK1', 'FOO/2.0/UDP h;branch=z9hG4bK1', 'SIP/2./UDP h;branch=z9hG4bK1']) {
      const r = parseDatagram(Buffer.from(invite().replace(/^Via: .*$/m, `Via: ${via}`)));
      assert.equal(r.kind === 'message' && validateRequest(r.msg)?.status, 400, via);
    }
  });

  it('hands on mutated requests only when drachtio-srf parses them', () => {
    const base = invite();
    const pool = [0, 1, 9, 11, 12, 13, 32, 34, 44, 58, 59, 60, 62, 64, 0x7f, 0xa0, 0xc2, 0xe2, 0x80, 0xa8, 0xff, 0x3d, 0x3f, 0x5c];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let accepted = 0;
    for (let k = 0; k < 20000; k++) {
      let b = Buffer.from(base);
      for (let j = 1 + rnd(3); j > 0; j--) {
        const pos = rnd(b.length - 4);
        const byte = pool[rnd(pool.length)];
        const op = rnd(3);
        if (op === 0) b[pos] = byte;
        else if (op === 1) b = Buffer.concat([b.subarray(0, pos), Buffer.from([byte]), b.subarray(pos)]);
        else b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + 1)]);
      }
      const r = parseDatagram(b);
      if (r.kind !== 'message' || !r.msg.isRequest || validateRequest(r.msg)) continue;
      accepted++;
      const text = r.msg.toString();
      assert.ok(srfParses(text), `accepted but drachtio-srf fails: ${JSON.stringify(text)}`);
    }
    assert.ok(accepted > 1000, `enough mutants were accepted to mean something (${accepted})`);
  });
});

describe('engine: what responses pass on to an app parse in drachtio-srf', () => {
  it('drops mutated responses drachtio-srf would throw on (To, From, Contact, Via)', () => {
    const base = ['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-x', 'From: "A" <sip:a@example.com>;tag=1',
      'To: <sip:b@example.com>;tag=2', 'Call-ID: r@x', 'CSeq: 1 INVITE', 'Contact: <sip:b@192.0.2.2>', 'Content-Length: 0', '', ''].join('\r\n');
    const pool = [0, 1, 9, 13, 32, 34, 44, 58, 59, 60, 62, 64, 0x7f, 0xa0, 0xff, 0x3d, 0x3f, 0x5c];
    let seed = 3;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let accepted = 0;
    for (let k = 0; k < 20000; k++) {
      let b = Buffer.from(base);
      for (let j = 1 + rnd(3); j > 0; j--) {
        const pos = rnd(b.length - 4);
        const op = rnd(3);
        if (op === 0) b[pos] = pool[rnd(pool.length)];
        else if (op === 1) b = Buffer.concat([b.subarray(0, pos), Buffer.from([pool[rnd(pool.length)]]), b.subarray(pos)]);
        else b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + 1)]);
      }
      const r = parseDatagram(b);
      if (r.kind !== 'message' || !r.msg.isResponse || validateResponse(r.msg)) continue;
      accepted++;
      assert.ok(srfParses(r.msg.toString()), `accepted but drachtio-srf fails: ${JSON.stringify(r.msg.toString())}`);
    }
    assert.ok(accepted > 1000, `enough mutants were accepted to mean something (${accepted})`);
  });
});

describe('engine: per-source rate limiter', () => {
  it('lets a burst through, then the rate, and refills with time', () => {
    let now = 0;
    const rl = new RateLimiter({ rate: 10, burst: 5, trusted: [], maxSources: 100, now: () => now });
    const n = (k: number): number => Array.from({ length: k }, () => rl.allow('192.0.2.1')).filter(Boolean).length;
    assert.equal(n(20), 5);
    now += 500; // 5 tokens back
    assert.equal(n(20), 5);
    assert.equal(rl.allow('192.0.2.2'), true, 'another source has its own bucket');
  });

  it('exempts trusted sources and is off at rate 0', () => {
    const rl = new RateLimiter({ rate: 1, burst: 1, trusted: ['10.0.0.1'], maxSources: 100, now: () => 0 });
    assert.ok(Array.from({ length: 100 }, () => rl.allow('10.0.0.1')).every(Boolean));
    const off = new RateLimiter({ rate: 0, burst: 1, trusted: [], maxSources: 100, now: () => 0 });
    assert.ok(Array.from({ length: 100 }, () => off.allow('10.0.0.2')).every(Boolean));
    assert.equal(off.size, 0);
  });

  it('keeps a bounded table of sources, forgetting the least recently seen', () => {
    const rl = new RateLimiter({ rate: 1, burst: 1, trusted: [], maxSources: 50, now: () => 0 });
    for (let i = 0; i < 10000; i++) rl.allow(`10.1.${i >> 8}.${i & 255}`);
    assert.equal(rl.size, 50);
  });
});
