import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitTcpListening, waitUdpBound } from './ports';

/** The edge proxy's configuration in the source tree; this module runs from dist/test/support. */
export const EDGE_CONFIG = path.join(__dirname, '../../../deploy/edge/kamailio.cfg');

const HOST = '127.0.0.1';
const KILL_GRACE_MS = 3000;
const LOG_LIMIT = 2000;

/**
 * The kamailio binary: on PATH, or in /usr/sbin where Debian puts it (not on a normal
 * user's PATH). Throws, naming the install step, when it is missing: the edge tests
 * must fail rather than skip.
 */
export function kamailioBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    const file = path.join(dir, 'kamailio');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  throw new Error('kamailio is not installed: run `bash scripts/ensure-deps.sh` as root (it installs Debian\'s kamailio package), or `apt-get install kamailio`');
}

export interface EdgeDestination {
  host?: string;
  port: number;
}

export interface KamailioOptions {
  /** the SIP engines, all in dispatcher set 1 */
  engines: EdgeDestination[];
  /** -A NAME=value for the config's settings (DS_PING_INTERVAL, ENGINE_TIMEOUT_MS, ...) */
  defines?: Record<string, string | number>;
  /** SIP port on 127.0.0.1 (UDP and TCP); a free one by default */
  sipPort?: number;
}

export interface KamailioProcess {
  sipPort: number;
  pid: number | undefined;
  /** the command line, for the report and for reproducing a failure by hand */
  command: string[];
  logs(): string;
  /** resolves with the first log line matching `re` seen after `since` (a logs().length mark) */
  waitForLog(re: RegExp, timeoutMs: number, since?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Kamailio in the foreground on 127.0.0.1 with the edge configuration, unprivileged: a
 * free port, pid file and runtime directory in a temporary directory, logs on stderr,
 * and a dispatcher list written there from `engines`. Resolves once UDP and TCP are
 * bound.
 */
export async function startKamailio(opts: KamailioOptions): Promise<KamailioProcess> {
  const bin = kamailioBinary();
  const sipPort = opts.sipPort ?? (await freePort('both'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kamailio-'));
  const list = path.join(dir, 'dispatcher.list');
  writeFileSync(list, opts.engines.map((e) => `1 sip:${e.host ?? HOST}:${e.port} 8 0\n`).join(''));
  const defines: Record<string, string | number> = {
    EDGE_ADDR: HOST,
    EDGE_PORT: sipPort,
    DISPATCHER_LIST: `"${list}"`,
    CHILDREN: 2,
    ...opts.defines,
  };
  const command = [bin, '-DD', '-E', '-f', EDGE_CONFIG, '-P', path.join(dir, 'kamailio.pid'), '-Y', dir, '-w', dir,
    '-m', '32', '-M', '4',
    ...Object.entries(defines).flatMap(([k, v]) => ['-A', `${k}=${v}`])];
  const child: ChildProcess = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const lineWaiters = new Set<() => void>();
  const keep = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const w of lineWaiters) w();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null = null;
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exitCode = code ?? (signal ? -1 : 0);
    for (const w of lineWaiters) w();
    resolve();
  }));
  const tailOfLog = (): string => text.split('\n').slice(-LOG_LIMIT).join('\n');
  const cleanup = async (): Promise<void> => {
    if (exitCode === null) {
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      await exited;
      clearTimeout(hard);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const bound = Promise.all([waitUdpBound(sipPort, 10000), waitTcpListening(sipPort, 10000)]);
    const died = exited.then(() => {
      throw new Error(`kamailio exited with ${exitCode} before binding ${HOST}:${sipPort}`);
    });
    bound.catch(() => undefined);
    died.catch(() => undefined);
    await Promise.race([bound, died]);
  } catch (err) {
    await cleanup();
    throw new Error(`${(err as Error).message}\n${command.join(' ')}\n${tailOfLog()}`, { cause: err });
  }

  return {
    sipPort,
    pid: child.pid,
    command,
    logs: () => text,
    waitForLog(re, timeoutMs, since = 0) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const line = text.slice(since).split('\n').find((l) => re.test(l));
          if (line !== undefined) finish(() => resolve(line));
          else if (exitCode !== null) finish(() => reject(new Error(`kamailio exited with ${exitCode} before logging ${re}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`kamailio did not log ${re} within ${timeoutMs} ms:\n${tailOfLog()}`))), timeoutMs);
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          lineWaiters.delete(check);
          settle();
        };
        lineWaiters.add(check);
        check();
      });
    },
    stop: cleanup,
  };
}
