import assert from 'node:assert/strict';
import { chooseUasTimer, hasOptionTag, parseMinSe, parseSessionExpires } from '../../../lib/sip/session-expires';

describe('session timers (RFC 4028): headers and the UAS choice', () => {
  it('parses Session-Expires with and without refresher; refuses what is not delta-seconds', () => {
    assert.deepEqual(parseSessionExpires('1800'), { expires: 1800 });
    assert.deepEqual(parseSessionExpires('90 ; refresher=UAS'), { expires: 90, refresher: 'uas' });
    assert.deepEqual(parseSessionExpires('999999999;refresher=uac'), { expires: 86400, refresher: 'uac' });
    for (const bad of [undefined, '', '0', '-5', '1e3', 'abc', '12345678901', `1;${'x'.repeat(300)}`]) assert.equal(parseSessionExpires(bad), undefined, String(bad));
    assert.equal(parseMinSe('90'), 90);
    assert.equal(parseMinSe('ninety'), undefined);
    assert.ok(hasOptionTag('100rel, Timer', 'timer'));
    assert.ok(!hasOptionTag('100rel, timers', 'timer'));
  });

  const policy = { minSe: 90, expires: 1800 };

  it('422 with our Min-SE below it', () => {
    assert.deepEqual(chooseUasTimer({ sessionExpires: '60' }, policy), { kind: 'reject', minSe: 90 });
  });

  it('keeps the caller\'s interval and refresher; Require: timer when the caller refreshes', () => {
    const c = chooseUasTimer({ sessionExpires: '600;refresher=uac', supported: 'timer' }, policy);
    assert.deepEqual(c, { kind: 'timer', expires: 600, refresher: 'uac', headers: { 'Session-Expires': '600;refresher=uac', Require: 'timer' } });
  });

  it('no refresher named: the caller if it supports timers, else us; no interval asked: ours; never longer than ours nor below either Min-SE', () => {
    assert.equal((chooseUasTimer({ supported: 'timer' }, policy) as { refresher: string }).refresher, 'uac');
    const none = chooseUasTimer({}, policy);
    assert.deepEqual(none, { kind: 'timer', expires: 1800, refresher: 'uas', headers: { 'Session-Expires': '1800;refresher=uas' } });
    assert.equal((chooseUasTimer({ sessionExpires: '7200' }, policy) as { expires: number }).expires, 1800);
    assert.equal((chooseUasTimer({ sessionExpires: '100', minSe: '300' }, policy) as { expires: number }).expires, 300);
  });
});
