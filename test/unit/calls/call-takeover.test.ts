import assert from 'node:assert/strict';
import { takeoverAction } from '../../../lib/calls';
import type { CallRecord, DialogSnapshot } from '../../../lib/store';

const party = (user: string, tag: string) => ({ user, tenant: 't', uri: `sip:${user}@t`, callId: `c-${user}`, tag });
const snap = (sdp?: string): DialogSnapshot => ({ callId: 'c', localTag: 'l', remoteTag: 'r', local: '<sip:x@t>;tag=l', remote: '<sip:y@t>;tag=r',
  target: 'sip:y@127.0.0.1', routes: [], ...(sdp ? { sdp } : {}) });

function rec(over: Partial<CallRecord> = {}): CallRecord {
  return { id: 'id1', tenant: 't', state: 'answered', caller: party('a', 'ta'), callee: party('b', 'tb'), mediaCallId: 'c-a',
    createdAt: 1, answeredAt: 2, instanceId: 'fs-1', dialogs: { caller: snap('v=0'), callee: snap('v=0') }, ...over };
}

describe('call take-over: what a dead owner\'s call gets', () => {
  it('an answered call with both dialogs is continued; with CALL_TAKEOVER=hangup it is hung up', () => {
    assert.equal(takeoverAction(rec(), 'continue'), 'continue');
    assert.equal(takeoverAction(rec(), 'hangup'), 'hangup');
  });

  it('a ringing call, a call without dialogs and a parked call (one dialog) are left alone', () => {
    assert.equal(takeoverAction(rec({ state: 'ringing' }), 'continue'), 'leave');
    assert.equal(takeoverAction(rec({ dialogs: undefined }), 'continue'), 'leave');
    assert.equal(takeoverAction(rec({ dialogs: { callee: snap('v=0') } }), 'hangup'), 'leave');
  });

  it('a call on hold (its music died with the owner) or without the caller\'s SDP is hung up', () => {
    assert.equal(takeoverAction(rec({ held: { caller: 5 } }), 'continue'), 'hangup');
    assert.equal(takeoverAction(rec({ dialogs: { caller: snap(), callee: snap('v=0') } }), 'continue'), 'hangup');
  });
});
