import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { apiRequest, type ApiReply } from '../support/api-client';
import { freePort } from '../support/ports';

/**
 * The whole product as an operator runs it (`npm start` runs scripts/start.sh, which
 * supervises `node dist/main.js`, which supervises its own redis-server, rtpengine and
 * SIP engine), on free ports with a DATA_DIR of its own, for the fault suite: a test
 * finds each process by its pidfile (DATA_DIR/run) or under the start script, and kills it.
 */

/** the repository root; this file runs from dist/test/faults */
const ROOT = path.join(__dirname, '../../..');

export interface Box {
  script: ChildProcess;
  dataDir: string;
  sipPort: number;
  httpPort: number;
  output(): string;
  exited: Promise<number | null>;
  api(method: string, p: string, body?: unknown): Promise<ApiReply>;
}

export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** pid of a child the server started (its pidfile), if any */
export async function childPid(box: Box, name: 'redis-server' | 'rtpengine' | 'sip-engine'): Promise<number | undefined> {
  try {
    return (JSON.parse(await readFile(path.join(box.dataDir, 'run', `${name}.pid`), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

function descendants(pid: number): number[] {
  const ppid = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      ppid.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, parent] of ppid) if (parent === p) {
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
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
  await until(`/health 200 (output: ${box.output().slice(-1500)})`, timeoutMs, async () => {
    if (box.script.exitCode !== null) throw new Error(`the start script exited: ${box.output().slice(-3000)}`);
    const r = await box.api('GET', '/health').catch(() => undefined);
    return r?.status === 200;
  });
}

export async function startBox(dataDir: string, env: Record<string, string> = {}): Promise<Box> {
  const sipPort = await freePort('both');
  const httpPort = await freePort('tcp');
  const rtpBase = 45000 + 200 * Math.floor(Math.random() * 20);
  const confBase = 50000 + 40 * Math.floor(Math.random() * 100);
  const token = 'faults-token-0123456789';
  let out = '';
  const script = spawn('bash', ['scripts/start.sh'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, SIP_PORT: String(sipPort), HTTP_PORT: String(httpPort),
      RTP_PORT_MIN: String(rtpBase), RTP_PORT_MAX: String(rtpBase + 199), CONFERENCE_PORT_MIN: String(confBase), CONFERENCE_PORT_MAX: String(confBase + 39),
      DIGEST_ALGORITHMS: 'MD5', LOG_LEVEL: 'warn', API_TOKEN: token, REDIS_URL: '', RTPENGINE_NG: '', DRAIN_TIMEOUT: '2',
      // the phones here send RTP only while a test checks it
      MEDIA_TIMEOUT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  script.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  script.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => script.once('exit', (code) => resolve(code)));
  const box: Box = {
    script, dataDir, sipPort, httpPort, exited,
    output: () => out,
    api: (m, p, b) => apiRequest(httpPort, m, p, b, m === 'GET' && p === '/health' ? undefined : token),
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
