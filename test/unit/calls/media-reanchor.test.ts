import assert from 'node:assert/strict';
import winston from 'winston';
import type Srf from 'drachtio-srf';
import { Call, MediaReanchor, restartAction } from '../../../lib/calls';
import type { MediaAnchor } from '../../../lib/media';

const logger = winston.createLogger({ silent: true });
const party = (user: string, tag: string) => ({ user, tenant: 't', uri: `sip:${user}@t`, callId: 'c1', tag });
const dialog = (sdp: string) => ({ remote: { sdp }, local: { sdp: 'v=0\r\no=- 7 1 IN IP4 127.0.0.1\r\n' }, on() {}, once() {}, off() {} }) as unknown as Srf.Dialog;

function answered(id = 'id1'): Call {
  const c = new Call(id, 't', party('a', 'ta'), party('b', 'tb'), 'c1', 'fs', logger);
  c.to('answered');
  c.uas = dialog('caller-sdp');
  c.uac = dialog('callee-sdp');
  return c;
}

describe('media re-anchor: what each call gets on an rtpengine restart', () => {
  it('an answered call with both parties is re-anchored; with MEDIA_RESTART=hangup it is hung up', () => {
    assert.equal(restartAction(answered(), 'reanchor'), 'reanchor');
    assert.equal(restartAction(answered(), 'hangup'), 'hangup');
  });

  it('a call not answered yet is left to its set-up', () => {
    const c = new Call('id2', 't', party('a', 'ta'), party('b', 'tb'), 'c1', 'fs', logger);
    assert.equal(restartAction(c, 'reanchor'), 'skip');
    assert.equal(restartAction(c, 'hangup'), 'skip');
  });

  it('a parked party (one dialog) or a held call (music) is asked of the features', () => {
    const parked = answered();
    parked.uac = undefined;
    assert.equal(restartAction(parked, 'reanchor'), 'ask');
    const held = answered();
    held.held.caller = 1;
    assert.equal(restartAction(held, 'reanchor'), 'ask');
  });

  it('a call no feature claims, or whose re-anchor fails, is hung up; a claimed one is not', async () => {
    const hungUp: string[] = [];
    const failing = { offer: async () => { throw new Error('rtpengine down'); } } as unknown as MediaAnchor;
    const parked = answered();
    parked.uac = undefined;
    const plain = answered('id2');
    const claimed = new Call('id3', 't', party('a', 'ta'), party('b', 'tb'), 'c1', 'fs', logger);
    claimed.to('answered');
    claimed.uas = dialog('x');
    const r = new MediaReanchor({ calls: () => [parked, plain, claimed], hangup: (id) => void hungUp.push(id), media: failing, policy: 'reanchor', logger });
    r.handle(async (call) => call === claimed);
    const report = await r.restarted();
    assert.deepEqual(report.reanchored, ['id3']);
    assert.equal(report.ended.length, 2);
    assert.deepEqual(hungUp.sort(), ['id1', 'id2']);
  });
});
