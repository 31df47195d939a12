import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { engineFixture } from '../engine/fixture';
import { responseTo, udpPeer, type UdpPeer } from '../engine/relay-sockets';

type RequestCb = (err: unknown, req?: Srf.SrfRequest) => void;
type SrfRequestFn = (uri: string, opts: object, cb: RequestCb) => void;

/**
 * Issue #13 item 1: an ACK is never a request of its own (RFC 3261 17.1.1.3, 13.2.2.4).
 * One the application asks the engine to send outside any dialog the engine holds is
 * refused, not routed by its Route or Request-URI: that was a way through the engine to
 * any address. (The embedded engine's rule; the request never leaves the app's connection.)
 */
describe('security: the engine refuses an app ACK outside any of its dialogs', function () {
  this.timeout(30000);
  const fx = engineFixture();
  let target: UdpPeer | undefined;
  afterEach(async () => {
    await target?.close();
    target = undefined;
  });

  /** srf.request with its callback: how the engine's answer to the `sip` command comes back. */
  function appSend(srf: Srf, uri: string, method: string, headers: Record<string, string>): Promise<{ refused?: string }> {
    return new Promise((resolve) => {
      (srf.request as unknown as SrfRequestFn).call(srf, uri, { method, headers }, (err) => {
        resolve(err ? { refused: String((err as Error).message ?? err) } : {});
      });
    });
  }

  it('an ACK with a To tag naming no dialog of the engine: refused, nothing reaches its target', async () => {
    target = await udpPeer();
    const srf = await fx.app(() => undefined);
    const uri = `sip:victim@127.0.0.1:${target.port}`;
    const before = (await fx.engine().stats()).appAcksRefused ?? 0;
    const ack = await appSend(srf, uri, 'ACK', { To: `<${uri}>;tag=forged`, 'Call-ID': 'no-such-dialog@127.0.0.1', CSeq: '1 ACK' });
    assert.match(ack.refused ?? 'sent', /ACK outside any dialog/);
    assert.equal((await fx.engine().stats()).appAcksRefused, before + 1);
    // what the engine sends to one address leaves in order: an OPTIONS sent after the ACK
    // arriving alone shows the ACK was never sent
    const options = await appSend(srf, uri, 'OPTIONS', {});
    assert.equal(options.refused, undefined);
    const got = await target.inbox.wait((m) => m.method === 'OPTIONS', 'the OPTIONS at the target');
    target.send(responseTo(got, 200, 'OK', 'victim1', `<${uri}>`), fx.engine().sipPort);
    assert.deepEqual(target.inbox.messages.filter((m) => m.method !== 'OPTIONS').map((m) => m.method), [], 'no ACK arrived');
  });
});
