import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { resumeCseq, resumeDialog, routeList, snapshotOf, type DialogSnapshot } from '../../../lib/calls/dialog-snapshot';

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

  it('resumes with an INVITE inside the old dialog sent to the first route; the resumed dialog keeps that route set', async () => {
    const snap: DialogSnapshot = {
      callId: 'cid-9', localTag: 'ours', remoteTag: 'theirs', local: '<sip:701@example.com>;tag=ours', remote: '<sip:bob@example.com>;tag=theirs',
      target: 'sip:bob@192.0.2.9:5062', routes: ['<sip:edge.example.com;lr>', '<sip:inner.example.com;lr>'],
    };
    let sent: { uri: string; opts: { headers: Record<string, string>; localSdp: string; proxy?: string } } | undefined;
    // the phone's 200 refreshed the target (RFC 3261 12.2.1.2) and, as a re-INVITE's 2xx, carried no Record-Route
    const resumed = { sip: { callId: 'cid-9', localTag: 'ours', remoteTag: 'theirs' }, remote: { uri: 'sip:bob@192.0.2.9:5070' } } as unknown as Srf.Dialog;
    const srf = { createUAC: async (uri: string, opts: NonNullable<typeof sent>['opts']) => { sent = { uri, opts }; return resumed; } } as unknown as Srf;
    assert.equal(await resumeDialog(srf, snap, 'v=0', 5000), resumed);
    assert.equal(sent?.uri, snap.target);
    assert.deepEqual(sent?.opts.headers, { 'Call-ID': 'cid-9', From: snap.local, To: snap.remote, CSeq: '5000 INVITE' });
    assert.equal(sent?.opts.proxy, 'sip:edge.example.com;lr', 'drachtio-server drops Route headers: the first hop is the next hop');
    assert.deepEqual(snapshotOf(resumed), { ...snap, target: 'sip:bob@192.0.2.9:5070', cseq: 5000 },
      'a second takeover still goes through the edge, and starts above this one\'s CSeq');
  });

  it('a resumed dialog starts its CSeq above any engine\'s first, and every later owner above the last, below 2^31', () => {
    const first = resumeCseq();
    assert.ok(first > 2 ** 27 && first > 1e8);
    const second = resumeCseq(first);
    assert.ok(second > first);
    assert.throws(() => resumeCseq(2 ** 31 - 1));
  });
});
