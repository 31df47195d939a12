import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { OutboundFork } from '../../../lib/calls';

/** An srf whose INVITEs never get an answer; counts them. */
function silentSrf(): { srf: Srf; invites: () => number } {
  let n = 0;
  const fake = { createUAC: () => { n++; return new Promise(() => undefined); } };
  return { srf: fake as unknown as Srf, invites: () => n };
}

const opts = { offer: 'v=0\r\n', headers: {}, onProvisional: () => undefined };

describe('OutboundFork', () => {
  it('cancelled before run(): rings nobody and settles at once with 487', async () => {
    const s = silentSrf();
    const fork = new OutboundFork(s.srf);
    fork.cancel();
    const r = await fork.run([{ uri: 'sip:bob@127.0.0.1:5070' }], opts);
    assert.equal(r.status, 487);
    assert.equal(r.dialog, undefined);
    assert.equal(s.invites(), 0, 'no INVITE went out');
  });

  it('with no targets: settles with 480', async () => {
    const r = await new OutboundFork(silentSrf().srf).run([], opts);
    assert.equal(r.status, 480);
  });
});
