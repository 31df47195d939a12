import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBox, stopBox, type Box } from '../../support/box';
import { SipPeer } from '../races/sip-peer';

const TENANT = '127.0.0.1';

/**
 * The engine's relay guard (issue 13) refuses SIP to the services beside it. The REST
 * port (like Redis's) is a TCP port, and the guard refuses it over TCP only: a phone on
 * this host whose UDP port happens to have the same number is a phone like any other.
 * (A faults run lost a call's re-INVITEs to such a phone when the guard refused the number
 * over every transport.) Run on the server's own engine, as `npm start` runs it.
 */
describe('relay guard: a phone whose UDP port has the number of a TCP service', function () {
  this.timeout(120_000);
  let dir: string | undefined;
  let box: Box | undefined;
  const phones: SipPeer[] = [];
  after(async function () {
    this.timeout(60_000);
    for (const p of phones) p.close();
    if (box) await stopBox(box);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is registered and called: the INVITE reaches it, and the call ends with BYE', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fs-deny-'));
    box = await startBox(path.join(dir, 'data'), { env: { LOG_LEVEL: 'warn', API_TOKEN: 'deny-token-0123456789', MEDIA_TIMEOUT: '0' } });
    for (const u of ['dt-a', 'dt-b']) {
      const r = await box.api('PUT', `/v1/tenants/${TENANT}/users/${u}`, { password: `pw-${u}` });
      assert.ok(r.status === 200 || r.status === 201, `${u}: ${r.status}`);
    }
    const server = { host: '127.0.0.1', port: box.sipPort };
    const a = await new SipPeer(server, TENANT).start();
    phones.push(a);
    // the REST port is TCP; the same number on UDP is free for a phone
    const b = await new SipPeer(server, TENANT).start(box.httpPort);
    phones.push(b);
    assert.equal(b.port, box.httpPort);
    await b.register('dt-b');

    const call = a.call({ to: 'dt-b', user: 'dt-a' });
    const invite = await b.nextInvite(10_000);
    invite.send(200, b.sdp());
    const r = await call.result;
    assert.equal(r.response.status, 200);
    // an in-dialog request from the server to the phone (the BYE for A's hang-up) arrives too
    assert.equal((await a.request(r.dialog!, 'BYE')).status, 200);
    await b.waitRequest((m) => m.method === 'BYE', 10_000, 'BYE at the phone on the REST port number');
  });
});
