import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { apiRequest, type ApiReply } from './api-client';
import { freePort } from './ports';
import { descendants } from './processes';
import { until } from './until';

/**
 * The whole product as an operator runs it (`npm start` runs scripts/start.sh, which
 * supervises `node dist/main.js`, which supervises its own redis-server, rtpengine and
 * SIP engine), on free ports with a DATA_DIR of its own. A test finds each process by its
 * pidfile (DATA_DIR/run) or under the start script. Used by the operator-box tests and
 * the fault suite.
 */

/** the repository root; this file runs from dist/test/support */
const ROOT = path.join(__dirname, '../../..');

export interface Box {
  script: ChildProcess;
  dataDir: string;
  sipPort: number;
  httpPort: number;
  output(): string;
  exited: Promise<number | null>;
  /** the operator token: API_TOKEN when the test set one, else the one the server generated */
  token(): string;
  api(method: string, p: string, body?: unknown): Promise<ApiReply>;
}

export interface BoxOptions {
  /** `npm start` itself rather than the script it runs */
  viaNpm?: boolean;
  /** RTP ports to give rtpengine (40 by default) */
  rtpPorts?: number;
  /** over the defaults (LOG_LEVEL info, a generated token, the embedded Redis and rtpengine, DRAIN_TIMEOUT 5) */
  env?: Record<string, string>;
}

/** pid of a child the server started (its pidfile), if any */
export async function childPid(box: Box, name: string): Promise<number | undefined> {
  try {
    return (JSON.parse(await readFile(path.join(box.dataDir, 'run', `${name}.pid`), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

/** the node server under the start script */
export function serverPid(box: Box): number | undefined {
  return descendants(box.script.pid ?? -1).find((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('dist/main.js');
    } catch {
      return false;
    }
  });
}

/** /health answers 200 */
export async function healthy(box: Box, timeoutMs = 120_000): Promise<void> {
  await until(`/health 200 (output: ${box.output().slice(-2000)})`, timeoutMs, async () => {
    if (box.script.exitCode !== null) throw new Error(`the start script exited: ${box.output().slice(-3000)}`);
    const r = await box.api('GET', '/health').catch(() => undefined);
    return r?.status === 200;
  });
}

export async function startBox(dataDir: string, opts: BoxOptions = {}): Promise<Box> {
  const sipPort = await freePort('both');
  const httpPort = await freePort('tcp');
  const rtpPorts = opts.rtpPorts ?? 40;
  const rtpBase = 45000 + rtpPorts * Math.floor(Math.random() * Math.floor(4000 / rtpPorts));
  const confBase = 50000 + 40 * Math.floor(Math.random() * 100);
  const env: Record<string, string> = {
    DATA_DIR: dataDir, SIP_PORT: String(sipPort), HTTP_PORT: String(httpPort),
    RTP_PORT_MIN: String(rtpBase), RTP_PORT_MAX: String(rtpBase + rtpPorts - 1), CONFERENCE_PORT_MIN: String(confBase), CONFERENCE_PORT_MAX: String(confBase + 39),
    DIGEST_ALGORITHMS: 'MD5', LOG_LEVEL: 'info', API_TOKEN: '', REDIS_URL: '', RTPENGINE_NG: '', DRAIN_TIMEOUT: '5', ...opts.env,
  };
  let out = '';
  const script = spawn(opts.viaNpm ? 'npm' : 'bash', opts.viaNpm ? ['start', '--silent'] : ['scripts/start.sh'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  script.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  script.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => script.once('exit', (code) => resolve(code)));
  const token = (): string => env.API_TOKEN || readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
  const box: Box = {
    script, dataDir, sipPort, httpPort, exited, token,
    output: () => out,
    api: (m, p, b) => apiRequest(httpPort, m, p, b, m === 'GET' && p === '/health' ? undefined : token()),
  };
  await healthy(box);
  return box;
}

/** SIGTERM to the start script (a drain of DRAIN_TIMEOUT); SIGKILL to the whole tree if it lingers */
export async function stopBox(box: Box): Promise<void> {
  if (box.script.exitCode !== null || box.script.signalCode !== null) return;
  box.script.kill('SIGTERM');
  const t = setTimeout(() => {
    for (const p of descendants(box.script.pid ?? -1)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    box.script.kill('SIGKILL');
  }, 20_000);
  await box.exited;
  clearTimeout(t);
}
