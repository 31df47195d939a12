import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { resumeCseq, routeList, snapshotOf } from '../../../lib/calls/dialog-snapshot';

/** The parts of an srf Dialog a snapshot reads: its request and response, as srf keeps them. */
function dialog(type: 'uas' | 'uac', req: Record<string, string>, res: Record<string, string>, sip: { localTag: string; remoteTag: string }): Srf.Dialog {
  const msg = (h: Record<string, string>): { get(n: string): string | undefined } => ({ get: (n) => h[n] });
  return { type, req: msg(req), res: msg(res), sip: { callId: 'cid-1', ...sip }, remote: { uri: 'sip:phone@192.0.2.7:5062' } } as unknown as Srf.Dialog;
}

describe('dialog snapshot (a dialog continued by another instance)', () => {
  it('splits Record-Route values, display names and parameters kept', () => {
    assert.deepEqual(routeList('<sip:edge1;lr>, "Edge 2" <sip:edge2:5070;lr;ftag=x>,<sip:edge3;lr>'),
      ['<sip:edge1;lr>', '"Edge 2" <sip:edge2:5070;lr;ftag=x>', '<sip:edge3;lr>']);
    assert.deepEqual(routeList(undefined), []);
  });

  it('as UAS: our From is the request\'s To with our tag, the route set is the Record-Route in order (RFC 3261 12.1.1)', () => {
    const s = snapshotOf(dialog('uas',
      { From: '<sip:alice@example.com>;tag=a1', To: '<sip:701@example.com>', 'Record-Route': '<sip:p1;lr>, <sip:p2;lr>' },
      {}, { localTag: 'ours', remoteTag: 'a1' }));
    assert.equal(s.local, '<sip:701@example.com>;tag=ours');
    assert.equal(s.remote, '<sip:alice@example.com>;tag=a1');
    assert.deepEqual(s.routes, ['<sip:p1;lr>', '<sip:p2;lr>']);
    assert.equal(s.target, 'sip:phone@192.0.2.7:5062');
  });

  it('as UAC: our From is the request\'s, the route set is the response\'s Record-Route reversed (RFC 3261 12.1.2)', () => {
    const s = snapshotOf(dialog('uac',
      { From: '<sip:alice@example.com>;tag=ours', To: '<sip:bob@example.com>' },
      { To: '<sip:bob@example.com>;tag=b1', 'Record-Route': '<sip:p2;lr>, <sip:p1;lr>' }, { localTag: 'ours', remoteTag: 'b1' }));
    assert.equal(s.local, '<sip:alice@example.com>;tag=ours');
    assert.equal(s.remote, '<sip:bob@example.com>;tag=b1');
    assert.deepEqual(s.routes, ['<sip:p1;lr>', '<sip:p2;lr>']);
  });

  it('a resumed dialog starts its CSeq above any engine\'s first, and every later owner above the last, below 2^31', () => {
    const first = resumeCseq();
    assert.ok(first > 2 ** 27 && first > 1e8);
    const second = resumeCseq(first);
    assert.ok(second > first);
    assert.throws(() => resumeCseq(2 ** 31 - 1));
  });
});
