import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCENARIO_DIR } from '../../support/sipp';
import { finalLine, finalStatus } from '../../support/sipp-results';
import { coreFixture } from './fixture';

/** core-expect-final.xml with an SDP rtpengine cannot read in both INVITEs. */
function badSdpScenario(dir: string): string {
  const xml = readFileSync(path.join(SCENARIO_DIR, 'core-expect-final.xml'), 'utf8')
    .split('      o=sipp 1000 [cseq] IN IP[local_ip_type] [local_ip]\n').join('      o=\n')
    .split('      m=audio [media_port] RTP/AVP 0 8\n').join('      m=audio\n');
  assert.ok(xml.includes('      o=\n'), 'the scenario\'s SDP changed: update this test');
  const file = path.join(dir, 'core-bad-sdp.xml');
  writeFileSync(file, xml);
  return file;
}

describe('core: an offer rtpengine cannot read', function () {
  this.timeout(30000);
  const fx = coreFixture({ LOG_LEVEL: 'info' });
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bad-sdp-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gets 488 (RFC 3261 21.4.26), not 503, and is logged once', async () => {
    await fx.provision('sdp-a');
    await fx.provision('sdp-b');
    await fx.uas('core-uas.xml', await fx.register('sdp-b'));
    const r = await fx.call(badSdpScenario(dir), 'sdp-a', 'sdp-b');
    assert.equal(finalStatus(r), 488, `${finalLine(r)} ${r.errors}`);
    const lines = [...fx.logs('rtpengine ng failed'), ...fx.logs('call setup failed')];
    assert.equal(lines.length, 1, JSON.stringify(lines));
  });
});
