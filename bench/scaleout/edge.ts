import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EDGE_CONFIG, kamailioBinary } from '../../test/support/kamailio';
import { waitTcpListening, waitUdpBound } from '../../test/support/ports';
import { exited, stopProcess } from '../calls/server';

/**
 * The edge proxy (deploy/edge/kamailio.cfg) for the bench, on 127.0.0.1. Not
 * test/support/kamailio.ts's startKamailio: that one runs with 32 MB of shared memory,
 * which Kamailio's transactions use up at about 100 calls/s ("could not allocate shared
 * memory from shm pool"), whereas deploy/edge/README.md runs it with -m 64 -M 8. It also
 * keeps every log line in memory; this one keeps only the warnings and errors.
 */
export interface Edge {
  sipPort: number;
  pid: number | undefined;
  command: string[];
  /** warning/error lines logged so far (only the first MAX_KEPT are kept; `warningCount` counts them all) */
  warnings: string[];
  warningCount(): number;
  stop(): Promise<void>;
}

export interface EdgeOptions {
  sipPort: number;
  /** ports of the SIP engines on 127.0.0.1, all in dispatcher set 1 */
  engines: number[];
  /** shared and private (per process) memory, MB: kamailio -m, -M */
  shmMb: number;
  pkgMb: number;
  /** -A NAME=value for the configuration's settings (DS_ALG, CHILDREN, ...) */
  defines?: Record<string, string | number>;
  logFile: string;
}

const MAX_KEPT = 2000;
const WARNING = /\b(WARNING|ERROR|CRITICAL|ALERT|BUG)\b/;

export async function startEdge(opts: EdgeOptions): Promise<Edge> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-edge-'));
  const list = path.join(dir, 'dispatcher.list');
  fs.writeFileSync(list, opts.engines.map((port) => `1 sip:127.0.0.1:${port} 8 0\n`).join(''));
  const defines = { EDGE_ADDR: '127.0.0.1', EDGE_PORT: opts.sipPort, DISPATCHER_LIST: `"${list}"`, ...opts.defines };
  const command = [kamailioBinary(), '-DD', '-E', '-f', EDGE_CONFIG, '-P', path.join(dir, 'kamailio.pid'), '-Y', dir, '-w', dir,
    '-m', String(opts.shmMb), '-M', String(opts.pkgMb), ...Object.entries(defines).flatMap(([k, v]) => ['-A', `${k}=${v}`])];
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(opts.logFile);
  const warnings: string[] = [];
  let count = 0;
  let partial = '';
  let tail = '';
  const keep = (chunk: Buffer): void => {
    log.write(chunk);
    tail = (tail + chunk.toString()).slice(-2000);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines.filter((x) => WARNING.test(x))) {
      count++;
      if (warnings.length < MAX_KEPT) warnings.push(l);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async (): Promise<void> => {
    await stopProcess(child, 3000);
    log.end();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const died = exited(child).then((code) => {
      throw new Error(`kamailio exited with ${code} before binding 127.0.0.1:${opts.sipPort}`);
    });
    died.catch(() => undefined);
    await Promise.race([Promise.all([waitUdpBound(opts.sipPort, 10000), waitTcpListening(opts.sipPort, 10000)]), died]);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${command.join(' ')}\n${tail}`, { cause: err });
  }
  return { sipPort: opts.sipPort, pid: child.pid, command, warnings, warningCount: () => count, stop };
}
