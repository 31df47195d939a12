import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import { apiRequest } from '../../support/api-client';
import { freePort } from '../../support/ports';
import { startTestRedis, type TestRedis } from '../../support/redis';
import { withRtpengine } from '../../support/rtpengine';

const MAIN = path.join(__dirname, '../../../main.js');
const TOKEN = 'log-forgery-token';
const FORGED = '{"level":"info","message":"forged"}';

/** What the process printed, line by line, per stream. */
interface Output {
  stdout: string;
  stderr: string;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/**
 * Issue #13, log forgery: the server's stdout/stderr is its log stream, one JSON object a
 * line. drachtio-srf prints the raw text of a message it cannot parse with console.error;
 * a message that breaks its parser and carries a newline and a JSON object must not
 * forge an entry.
 */
describe('security: nothing the network sends is written raw to the log stream', function () {
  this.timeout(90_000);
  const media = withRtpengine();
  let redis: TestRedis | undefined;
  let child: ChildProcess | undefined;
  let sipPort = 0;
  const out: Output = { stdout: '', stderr: '' };

  before(async () => {
    redis = await startTestRedis();
    await media.start();
    sipPort = await freePort('both');
    const httpPort = await freePort('tcp');
    child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, REDIS_URL: redis.url, RTPENGINE_NG: `${media.process.address}:${media.process.ngPort}`, SIP_HOST: '127.0.0.1',
        SIP_PORT: String(sipPort), HTTP_PORT: String(httpPort), API_TOKEN: TOKEN, LOG_LEVEL: 'info', INSTANCE_ID: 'log-forgery' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!(await apiRequest(httpPort, 'GET', '/health').then((r) => r.status === 200, () => false))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not become healthy: ${out.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await media.stop();
    await redis?.stop();
  });

  it('a request that breaks drachtio-srf\'s parser is logged as one escaped JSON entry, and forges none', async () => {
    // a form feed inside the Request-URI: the engine takes the URI as one token (it splits
    // the request line on SP, RFC 3261 25.1), drachtio-sip's `([^\s]+)\sSIP` does not and
    // throws; the body carries the forged entry on a line of its own
    const body = `\n${FORGED}\n`;
    const msg = `INVITE sip:bob@127.0.0.1;x=\fy SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-forge\r\nFrom: <sip:mallory@example.com>;tag=1\r\n` +
      `To: <sip:bob@example.com>\r\nCall-ID: forge-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const sock = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => sock.send(msg, sipPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      // the entry saying srf could not parse it: printed by srf, through our logger
      const deadline = Date.now() + 20_000;
      while (!out.stdout.includes('unable to parse') && !out.stderr.includes('unable to parse')) {
        if (Date.now() > deadline) assert.fail(`srf never reported the message it could not parse:\n${out.stdout}\n${out.stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      sock.close();
    }
    const all = [...lines(out.stdout), ...lines(out.stderr)];
    const entries = all.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return assert.fail(`a line of the log stream is not JSON: ${l}`);
      }
    });
    assert.ok(entries.every((e) => e.message !== 'forged'), 'an entry was forged');
    const report = entries.find((e) => typeof e.text === 'string' && e.text.includes('unable to parse'));
    assert.ok(report, 'the report is one entry');
    assert.ok((report.text as string).length <= 2048 + 32, 'the text is truncated');
    assert.equal(report.level, 'error');
  });
});
