import assert from 'node:assert/strict';
import { createSrf } from '../../../lib/sip/srf-app';

/** srf's own Dialog class (dialog.js), driven through its real handle() */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Dialog = require('drachtio-srf/lib/dialog') as new (srf: unknown, type: 'uas', opts: object) => FakeableDialog;

interface FakeableDialog {
  connected: boolean;
  handle(req: object, res: object): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  removeAllListeners(event?: string): void;
}

const header = (name: string, value: unknown) => (n: string) => (n.toLowerCase() === name ? value : undefined);

/** a UAS dialog as srf builds it from an INVITE, its 200 and the request that made it */
function uasDialog(srf: object): FakeableDialog {
  const req = {
    method: 'INVITE', body: 'v=0\r\n',
    getParsedHeader: (n: string) => (n.toLowerCase() === 'from' ? { params: { tag: 'caller-tag' } } : [{ uri: 'sip:a@127.0.0.1' }]),
  };
  const res = { agent: {}, stackDialogId: 'call-1;from-tag=ours', get: header('call-id', 'call-1') };
  const sent = {
    body: 'v=0\r\n', get: () => '<sip:fs@127.0.0.1>',
    getParsedHeader: (n: string) => (n.toLowerCase() === 'to' ? { params: { tag: 'ours' } } : [{ uri: 'sip:fs@127.0.0.1' }]),
  };
  return new Dialog(srf, 'uas', { req, res, sent });
}

/** an in-dialog request and a response that records its status */
function inDialog(method: string): { req: object; res: object; answered: Promise<number> } {
  let answer: (status: number) => void = () => undefined;
  const answered = new Promise<number>((resolve) => (answer = resolve));
  return { req: { method, get: () => undefined, has: () => false, meta: {} }, res: { send: (status: number) => answer(status) }, answered };
}

describe('srf dialogs: a request that crossed the dialog\'s end', () => {
  it('a REFER srf took in just before it ended the dialog gets 481, not srf\'s 200 (RFC 3261 12.2.2)', async () => {
    const srf = createSrf();
    const dialog = uasDialog(srf);
    (srf as unknown as { addDialog(d: object): void }).addDialog(dialog);
    dialog.on('refer', () => assert.fail('the call\'s REFER handler ran after the dialog ended'));
    const refer = inDialog('REFER');
    dialog.handle(refer.req, refer.res); // srf answers it on its next tick
    // what srf does when our BYE is answered (dialog.js destroy(): removeDialog)
    dialog.connected = false;
    dialog.removeAllListeners();
    assert.equal(await refer.answered, 481);
  });

  it('INFO and UPDATE after the end get 481 too', async () => {
    const srf = createSrf();
    const dialog = uasDialog(srf);
    (srf as unknown as { addDialog(d: object): void }).addDialog(dialog);
    dialog.connected = false;
    dialog.removeAllListeners();
    for (const method of ['INFO', 'UPDATE']) {
      const r = inDialog(method);
      dialog.handle(r.req, r.res);
      assert.equal(await r.answered, 481, method);
    }
  });

  it('a live dialog is left to srf: an INFO nobody listens for still gets its 200', async () => {
    const srf = createSrf();
    const dialog = uasDialog(srf);
    (srf as unknown as { addDialog(d: object): void }).addDialog(dialog);
    dialog.removeAllListeners('info');
    const info = inDialog('INFO');
    dialog.handle(info.req, info.res);
    assert.equal(await info.answered, 200);
  });
});
