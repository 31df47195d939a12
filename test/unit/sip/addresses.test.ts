import assert from 'node:assert/strict';
import { isAnonymous, parseAddress } from '../../../lib/sip/addresses';
import { headerParam, nameAddr, quoted, splitAddressList } from '../../../lib/sip/name-addr';
import { parseSipUri } from '../../../lib/sip/sip-uri';

describe('sip: address headers read by linear scanners (RFC 3261 20.10, 25.1)', () => {
  it('reads name-addr and addr-spec forms', () => {
    assert.deepEqual(parseAddress('"Alice" <sip:alice@example.com>;tag=1'),
      { user: 'alice', host: 'example.com', port: undefined, uri: 'sip:alice@example.com', display: 'Alice' });
    assert.deepEqual(parseAddress('Alice Smith<sips:alice@[2001:db8::1]:5061;transport=tls>'),
      { user: 'alice', host: '[2001:db8::1]', port: 5061, uri: 'sips:alice@[2001:db8::1]:5061;transport=tls', display: 'Alice Smith' });
    assert.deepEqual(parseAddress('sip:bob@Example.com;tag=9'), { user: 'bob', host: 'example.com', port: undefined, uri: 'sip:bob@Example.com', display: undefined });
    assert.deepEqual(parseAddress('<sip:example.com>'), { user: '', host: 'example.com', port: undefined, uri: 'sip:example.com', display: undefined });
  });

  it('unescapes a quoted display name, and quoted() escapes it back', () => {
    const a = parseAddress('"say \\"hi\\" \\\\" <sip:a@b.example>');
    assert.equal(a?.display, 'say "hi" \\');
    assert.equal(quoted(a?.display ?? ''), '"say \\"hi\\" \\\\"');
    assert.equal(quoted('a\r\nb'), '"ab"');
  });

  it('refuses what is no SIP address', () => {
    for (const bad of ['', '<>', '"unterminated <sip:a@b>', 'tel:+123', 'sip:a@', 'sip:a@exa mple.com', 'sip:a@h:99999', 'sip:a@[zz]',
      `<sip:a@${'h'.repeat(5000)}>`, 'http://a@b']) {
      assert.equal(parseAddress(bad), null, bad);
    }
  });

  it('parses the user before a password and ignores parameters and headers', () => {
    assert.deepEqual(parseSipUri('sip:alice:secret@host.example:5070;transport=tcp?Subject=x'), { scheme: 'sip', user: 'alice', host: 'host.example', port: 5070 });
    assert.deepEqual(parseSipUri('SIP:701@h?Replaces=abc%3Bto-tag%3D1'), { scheme: 'sip', user: '701', host: 'h', port: undefined });
  });

  it('splits address lists on commas outside quotes and angle brackets', () => {
    assert.deepEqual(splitAddressList('"a, b" <sip:a@h;x=1,2>;expires=5, <sip:c@h>,sip:d@h'), ['"a, b" <sip:a@h;x=1,2>;expires=5', '<sip:c@h>', 'sip:d@h']);
    assert.deepEqual(splitAddressList('<<<<, <sip:a@h>'), ['<<<<, <sip:a@h>']);
  });

  it('finds header parameters by name, case-insensitively, outside quoted values', () => {
    const p = nameAddr('<sip:a@h;expires=1>;q=0.5;+sip.instance="<urn:uuid:1;x>";Expires = 60;lr')?.params ?? '';
    assert.equal(headerParam(p, 'expires'), '60');
    assert.equal(headerParam(p, '+sip.instance'), '"<urn:uuid:1;x>"');
    assert.equal(headerParam(p, 'lr'), '');
    assert.equal(headerParam(p, 'tag'), undefined);
  });

  it('isAnonymous reads Privacy values (RFC 3323 4.2) and the anonymous identity (RFC 3261 8.1.1.3)', () => {
    assert.equal(isAnonymous('<sip:alice@example.com>', 'none;user'), true);
    assert.equal(isAnonymous('<sip:alice@example.com>', 'none'), false);
    assert.equal(isAnonymous('Anonymous <sip:x@example.com>', undefined), true);
    assert.equal(isAnonymous('<sip:x@anonymous.invalid>', undefined), true);
  });
});
