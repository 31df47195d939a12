import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { MediaError, createRtpengineAnchor, startRtpengine, type RtpengineProcess } from '../../../lib/media';
import { udpFree } from '../../support/ports';
import { alive } from '../../support/processes';
import { testLogger } from '../../support/rtpengine';

const LIGHT = ['--num-threads=1', '--media-num-threads=0'];

describe('media: rtpengine process', function () {
  this.timeout(10000);
  const started: RtpengineProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });

  it('starts, answers ping, and stop() ends it and frees its ports', async () => {
    const proc = await startRtpengine({ logger: testLogger(), extraArgs: LIGHT });
    started.push(proc);
    assert.equal(proc.state, 'running');
    const anchor = createRtpengineAnchor({ host: proc.address, port: proc.ngPort, logger: testLogger() });
    assert.equal(await anchor.ping(), true);
    await anchor.close();

    const pid = proc.pid;
    assert.ok(pid);
    await proc.stop();
    assert.equal(proc.state, 'stopped');
    assert.equal(alive(pid), false);
    assert.equal(await udpFree(proc.ngPort), true);
    await proc.stop(); // idempotent
  });

  it('restarts rtpengine on the same ng port when it dies', async () => {
    let onRestart: () => void = () => {};
    const restarted = new Promise<void>((resolve) => (onRestart = resolve));
    const proc = await startRtpengine({ logger: testLogger(), extraArgs: LIGHT, onRestart: () => onRestart() });
    started.push(proc);
    const firstPid = proc.pid;
    assert.ok(firstPid);

    process.kill(firstPid, 'SIGKILL');
    await restarted;
    assert.equal(proc.state, 'running');
    assert.equal(proc.restarts, 1);
    assert.ok(proc.pid && proc.pid !== firstPid);
    const anchor = createRtpengineAnchor({ host: proc.address, port: proc.ngPort, logger: testLogger() });
    assert.equal(await anchor.ping(), true);
    await anchor.close();
  });

  it('gives instances running at once their own ng port and media port range', async () => {
    const procs = await Promise.all([1, 2, 3].map(() => startRtpengine({ logger: testLogger(), extraArgs: LIGHT })));
    started.push(...procs);
    assert.equal(new Set(procs.map((p) => p.ngPort)).size, 3);
    const ranges = procs.map((p) => [p.portMin, p.portMax]).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i][0] > ranges[i - 1][1], `ranges overlap: ${JSON.stringify(ranges)}`);
  });

  it('fails start-up with a coded error: missing binary, bad option, ng port in use', async () => {
    const logger = testLogger();
    const missing = await startRtpengine({ logger, binary: 'rtpengine-does-not-exist' }).then(() => null, (e: unknown) => e);
    assert.ok(missing instanceof MediaError && missing.code === 'E_RTPENGINE_START', String(missing));

    const badOption = await startRtpengine({ logger, extraArgs: ['--no-such-option'] }).then(() => null, (e: unknown) => e);
    assert.ok(badOption instanceof MediaError && badOption.code === 'E_RTPENGINE_START', String(badOption));
    assert.match(badOption.message, /code 255/);

    const holder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    try {
      const taken = await startRtpengine({ logger, ngPort: holder.address().port }).then(() => null, (e: unknown) => e);
      assert.ok(taken instanceof MediaError && taken.code === 'E_RTPENGINE_CONFIG', String(taken));
    } finally {
      holder.close();
    }
  });
});
