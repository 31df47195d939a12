import assert from 'node:assert/strict';
import Srf from 'drachtio-srf';
import { features } from '../../../features';
import { holdAnswer } from '../../../features/moh/sdp-direction';
import { parseCode, DEFAULT_PICKUP } from '../../../features/pickup/settings';
import { routeList } from '../../../lib/calls/dialog-snapshot';
import { parseDatagram } from '../../../lib/engine/sip/parser';
import { contactTarget } from '../../../lib/routing/contact-target';
import { FeatureCodeDispatcher } from '../../../lib/routing/feature-codes';
import { isAnonymous, parseAddress } from '../../../lib/sip/addresses';
import { dialogInfoXml } from '../../../lib/sip/dialog-info';
import { isHoldSdp, sdpDirection, withDirection } from '../../../lib/sip/hold';
import { addressParts, headerParam, splitAddressList } from '../../../lib/sip/name-addr';
import { parseReplaces } from '../../../lib/sip/replaces';
import { restrictToOffer } from '../../../lib/sip/sdp-codecs';
import { parseSipUri } from '../../../lib/sip/sip-uri';
import { describeResults, pathologicalInputs, superLinearCases, type LinearCase } from '../../support/linear-time';

/*
 * Issue #13: every parser that reads what the network sends must cost time linear in
 * the input's size, whatever its shape. One regular expression that backtracks lets
 * one packet hold the event loop for seconds. Each check times a parser on pathological
 * inputs of a base size and 8 times that size (best of several runs) and fails on a
 * ratio of 20 or more (linear is ~8, quadratic ~64).
 */

/** drachtio-srf's SIP parser (the drachtio-sip code srf embeds), as srf runs it. */
interface SrfParser {
  parseUri(s: string): unknown;
  getParser(hdr: string): (d: { s: string; i: number }) => unknown;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const srfParser = require('drachtio-srf/lib/sip-parser/parser') as SrfParser;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SrfSipMessage = require('drachtio-srf/lib/sip-parser/message') as new (raw: string) => unknown;

const HEADER_PREFIXES = ['', '<', '"', '"x" <sip:a@b.example>', 'sip:a@b.example'];
const headerCases = pathologicalInputs(HEADER_PREFIXES);
const SDP_HEAD = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\n';
const sdpCases: LinearCase[] = [
  ...pathologicalInputs([SDP_HEAD + 'a=', SDP_HEAD + 'a=rtpmap:0 ', SDP_HEAD + 'a=fmtp:101 ', SDP_HEAD + 'a=imageattr:97 send ', SDP_HEAD + 'a=simulcast:send ',
    SDP_HEAD + 'a=candidate:', SDP_HEAD + 'o=', 'v=0\r\nm=audio 1 RTP/AVP '], '\r\n'),
  { name: 'many m-lines', input: (n) => SDP_HEAD + 'm=audio 0 RTP/AVP 0\r\na=sendonly\r\n'.repeat(Math.ceil(n / 34)) },
  { name: 'many a=rtpmap lines', input: (n) => SDP_HEAD + 'a=rtpmap:0 PCMU/8000\r\n'.repeat(Math.ceil(n / 22)) },
];
const request = (header: string, value: string): string =>
  `INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n` +
  `Call-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n${header}: ${value}\r\nContent-Length: 0\r\n\r\n`;
const messageCases = (wrap: (value: string) => string): LinearCase[] => headerCases.map((c) => ({ name: c.name, input: (n) => wrap(c.input(n)) }));

// 1,024 -> 8,192: large enough to measure, and both sizes in the same regime of V8's young
// generation (from 4,096 -> 32,768, parsers that build many small strings cross into
// large-object allocation and scavenges, a runtime step of x40 that is not the parser's)
function assertLinear(parse: (s: string) => unknown, cases: readonly LinearCase[], base = 1024): void {
  const slow = superLinearCases(parse, cases, { base, runs: 3 });
  assert.equal(slow.length, 0, `super-linear:\n${describeResults(slow)}`);
}

describe('security: parsers of network input run in linear time (issue #13)', function () {
  this.timeout(180_000);

  describe('address headers', () => {
    // below MAX_ADDRESS_HEADER (4 KB) at both sizes: parseAddress refuses longer headers at once
    it('parseAddress (From, To, Request-URI, Refer-To)', () => assertLinear(parseAddress, headerCases, 480));
    it('isAnonymous (From and Privacy)', () => {
      assertLinear((s) => isAnonymous(s, undefined), headerCases, 480);
      assertLinear((s) => isAnonymous(undefined, s), headerCases, 480);
    });
    it('the name-addr, parameter and URI scanners, unbounded', () => {
      assertLinear(addressParts, headerCases);
      assertLinear((s) => headerParam(s, 'expires'), headerCases);
      assertLinear(parseSipUri, headerCases, 240); // at most MAX_URI (2 KB) at both sizes
    });
    it('registrar contact splitting and Record-Route lists', () => {
      assertLinear(splitAddressList, headerCases);
      assertLinear(routeList, headerCases);
    });
    it('contact targets (a binding read back from Redis)', () => {
      assertLinear((s) => contactTarget({ contact: s, received: `udp:${s}:5060` } as Parameters<typeof contactTarget>[0]), headerCases, 480);
    });
    it('Replaces (RFC 3891)', () => assertLinear(parseReplaces, pathologicalInputs(['', 'abc@h;to-tag=', 'abc;from-tag=1;to-tag=2;'])));
  });

  describe('bodies', () => {
    it('hold detection and direction (SDP through sdp-transform)', () => {
      assertLinear(isHoldSdp, sdpCases);
      assertLinear(sdpDirection, sdpCases);
      assertLinear((s) => withDirection(s, 'sendonly'), sdpCases);
      assertLinear((s) => holdAnswer(SDP_HEAD + 'a=sendrecv\r\n', s), sdpCases);
    });
    it('codec restriction (SDP helpers)', () => assertLinear((s) => restrictToOffer(SDP_HEAD, s), sdpCases));
    // 256 -> 2,048: seven escaped copies of 8 K characters are large-object allocations
    it('dialog-info documents (RFC 4235) built from dialog identities', () => {
      assertLinear((s) => dialogInfoXml(s, 1, [{ id: s, state: 'early', callId: s, localTag: s, remoteTag: s, remote: s, local: s }]), headerCases, 256);
    });
  });

  describe('feature codes', () => {
    const dispatcher = new FeatureCodeDispatcher();
    for (const f of features()) dispatcher.register(f);
    const codeCases = pathologicalInputs(['', '*', '**', '*71', '#'], '!');
    it('the dialed string against every feature\'s codes and services', () => {
      assertLinear((s) => dispatcher.matches(s), codeCases);
      assertLinear((s) => dispatcher.service(s), codeCases);
    });
    it('pickup codes', () => assertLinear((s) => parseCode(DEFAULT_PICKUP, s), codeCases));
  });

  describe('SIP messages', () => {
    it('the engine\'s parser entry point, one pathological header', () => {
      for (const header of ['From', 'Contact', 'Via', 'X-Junk']) {
        assertLinear((s) => parseDatagram(Buffer.from(s)), messageCases((v) => request(header, v)));
      }
    });
    it('the engine\'s parser entry point, a pathological start line', () => {
      assertLinear((s) => parseDatagram(Buffer.from(s)), messageCases((v) => `INVITE ${v} SIP/2.0\r\n\r\n`));
      assertLinear((s) => parseDatagram(Buffer.from(s)), messageCases((v) => `SIP/2.0 200 ${v}\r\n\r\n`));
    });
    it('drachtio-srf\'s message parser, as srf runs it on every message it receives', () => {
      for (const header of ['From', 'Contact', 'X-Junk']) assertLinear((s) => new SrfSipMessage(s), messageCases((v) => request(header, v)));
      assertLinear((s) => new SrfSipMessage(s), messageCases((v) => `SIP/2.0 200 ${v}\r\n\r\n`));
    });
    it('drachtio-srf\'s parseUri', () => assertLinear(srfParser.parseUri, headerCases));
    /*
     * Not asserted, because it is not linear and not ours: srf's header parsers (parseAOR,
     * which srf runs on From/To/Contact when it builds a dialog) are cubic in a run of
     * white space after `<` (>10 ms from ~210 characters, ~1 s at 1,000) and quadratic in
     * runs of `"` or `<` (x30-x80 from 1 K to 8 K characters). The engine must bound
     * header sizes and white-space runs before srf sees them.
     */
  });

  it('the check itself tells a quadratic parser from a linear one', () => {
    const quadratic = (s: string): number => {
      let n = 0;
      for (let i = 0; i < s.length; i++) for (let j = i; j < s.length; j++) n += s.charCodeAt(j) & 1;
      return n;
    };
    assert.equal(superLinearCases(quadratic, [{ name: 'spaces', input: (n) => ' '.repeat(n) }], { base: 512, runs: 3 }).length, 1);
    assert.equal(superLinearCases((s) => s.indexOf('x'), [{ name: 'spaces', input: (n) => ' '.repeat(n) }], { base: 4096, runs: 3 }).length, 0);
  });

  it('srf parseUri is not what parseAddress runs (it is never fed unbounded headers by us)', () => {
    const descriptor = Object.getOwnPropertyDescriptor(Srf, 'parseUri');
    const original = Srf.parseUri;
    let called = 0;
    Object.defineProperty(Srf, 'parseUri', { configurable: true, get: () => (s: string) => { called++; return original(s); } });
    try {
      assert.equal(parseAddress('"A" <sip:a@example.com>;tag=1')?.host, 'example.com');
    } finally {
      if (descriptor) Object.defineProperty(Srf, 'parseUri', descriptor);
    }
    assert.equal(called, 0);
  });
});
