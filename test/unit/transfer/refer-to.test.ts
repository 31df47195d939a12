import assert from 'node:assert/strict';
import { parseReferTo } from '../../../features/transfer/refer-to';
import { TransferRun } from '../../../features/transfer/transfer-state';

describe('transfer: Refer-To (RFC 3515 2.1, RFC 3891 with RFC 5589 7)', () => {
  it('a plain target: user and host', () => {
    assert.deepEqual(parseReferTo('"Carol" <sip:carol@example.com>'), { user: 'carol', host: 'example.com' });
    assert.deepEqual(parseReferTo('sip:carol@Example.COM:5060;transport=udp'), { user: 'carol', host: 'example.com' });
  });

  it('an attended target: the escaped Replaces decoded', () => {
    const t = parseReferTo('<sip:carol@example.com?Replaces=abc%40host%3Bto-tag%3D1a%3Bfrom-tag%3D2b&Require=replaces>');
    assert.deepEqual(t?.replaces, { callId: 'abc@host', toTag: '1a', fromTag: '2b', earlyOnly: false });
  });

  it('refuses what is no SIP URI with a user, a malformed Replaces, too many URI headers', () => {
    for (const bad of [undefined, '', '<mailto:a@b>', '<sip:example.com>', '<sip:c@h?Replaces=abc%3Bto-tag%3D1>', '<sip:c@h?Replaces=%E0%A4%A>',
      `<sip:c@h?${Array.from({ length: 9 }, (_, i) => `h${i}=x`).join('&')}>`, `<sip:c@h?x=${'a'.repeat(5000)}>`]) {
      assert.equal(parseReferTo(bad), undefined, String(bad));
    }
  });
});

describe('transfer: the state machine of one transfer', () => {
  it('calling -> moving -> done; illegal steps throw', () => {
    const run = new TransferRun('blind', 'carol', 'calling');
    assert.throws(() => run.to('done'));
    run.to('moving');
    run.to('done');
    assert.throws(() => run.to('failed'));
    assert.equal(run.view().state, 'done');
  });

  it('abort runs the registered aborters once', () => {
    const run = new TransferRun('blind', 'carol', 'calling');
    let n = 0;
    run.onAbort(() => n++);
    run.abort();
    run.abort();
    assert.equal(n, 1);
  });
});
