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

  /** Every line of the log stream is one JSON object, and none is the forged entry. */
  function assertClean(text: string): Array<Record<string, unknown>> {
    const entries = lines(text).map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return assert.fail(`a line of the log stream is not JSON: ${l}`);
      }
    });
    assert.ok(entries.every((e) => e.message !== 'forged'), 'an entry was forged');
    return entries;
  }

  // a form feed inside the Request-URI: drachtio-srf's parser (`([^\s]+)\sSIP`) throws on it
  // and prints the raw message; the body carries the forged entry on a line of its own
  const body = `\n${FORGED}\n`;
  const crafted = `INVITE sip:bob@127.0.0.1;x=\fy SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-forge\r\nFrom: <sip:mallory@example.com>;tag=1\r\n` +
    `To: <sip:bob@example.com>\r\nCall-ID: forge-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Type: text/plain\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

  it('the embedded engine refuses a request drachtio-srf cannot parse with 400, and the log stream stays JSON', async () => {
    const sock = dgram.createSocket('udp4');
    try {
      const answer = new Promise<string>((resolve) => sock.once('message', (m) => resolve(m.toString())));
      await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
      const via = crafted.replace('127.0.0.1:9;', `127.0.0.1:${sock.address().port};`);
      await new Promise<void>((resolve, reject) => sock.send(via, sipPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      assert.match(await answer, /^SIP\/2\.0 400 /);
    } finally {
      sock.close();
    }
    assertClean(out.stdout);
    assertClean(out.stderr);
  });

  it('what drachtio-srf prints of a message it cannot parse (on any engine) becomes one escaped, truncated JSON entry', async () => {
    // srf's own parse and its own console.error line (drachtio-agent.js, incoming message),
    // in a process set up as main.ts sets up the server's
    const logger = path.join(__dirname, '../../../lib/logger.js');
    const script = `
      const { createLogger, routeConsoleToLogger } = require(${JSON.stringify(logger)});
      routeConsoleToLogger(createLogger('info'));
      const SipMessage = require('drachtio-srf/lib/sip-parser/message');
      const rawMsg = ${JSON.stringify(crafted + 'x'.repeat(5000))};
      try { new SipMessage(rawMsg); console.log('parsed'); } catch (err) { console.error(err, \`unable to parse incoming message: \${rawMsg}\`); }
    `;
    const printed = await new Promise<Output>((resolve, reject) => {
      const c = spawn(process.execPath, ['-e', script], { cwd: path.join(__dirname, '../../..') });
      const o: Output = { stdout: '', stderr: '' };
      c.stdout.on('data', (d: Buffer) => (o.stdout += d.toString()));
      c.stderr.on('data', (d: Buffer) => (o.stderr += d.toString()));
      c.on('error', reject);
      c.on('exit', () => resolve(o));
    });
    const entries = [...assertClean(printed.stdout), ...assertClean(printed.stderr)];
    const report = entries.find((e) => typeof e.text === 'string' && e.text.includes('unable to parse'));
    assert.ok(report, `srf's report is one entry: ${printed.stdout}${printed.stderr}`);
    assert.ok((report.text as string).length <= 2048 + 32, 'the text is truncated');
    assert.equal(report.level, 'error');
  });
});
