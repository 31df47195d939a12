import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { connectable, freePort } from './ports';

export interface EngineProcess {
  sipPort: number;
  adminPort: number;
  httpPort: number;
  secret: string;
  stats(): Promise<Record<string, number>>;
  /** until no dialog and no transaction still waiting for a final response is left */
  waitIdle(timeoutMs?: number): Promise<void>;
  /** until every transaction has fully ended (its retransmission-absorbing timers too) */
  waitDrained(timeoutMs?: number): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

export interface EngineStartOptions {
  sipPort?: number;
  adminPort?: number;
  secret?: string;
  /** RFC 3261 timers; tests shorten them so transactions drain within seconds */
  t1?: number;
  t2?: number;
  t4?: number;
  extraArgs?: string[];
}

const CLI = path.join(__dirname, '../../lib/engine/cli.js');

function getJson(port: number, urlPath: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Record<string, number>);
        } catch (err) {
          reject(err as Error);
        }
      });
    }).on('error', reject);
  });
}

/** The engine as its own process, as production runs it (the `sip-engine` command). */
export async function startEngine(opts: EngineStartOptions = {}): Promise<EngineProcess> {
  const sipPort = opts.sipPort ?? (await freePort('both'));
  const adminPort = opts.adminPort ?? (await freePort('tcp'));
  const httpPort = await freePort('tcp');
  const secret = opts.secret ?? 'cymru';
  const args = [CLI, '--sip-address', '127.0.0.1', '--sip-port', String(sipPort), '--admin-address', '127.0.0.1',
    '--admin-port', String(adminPort), '--secret', secret, '--http-port', String(httpPort), '--log-level', 'info',
    '--t1', String(opts.t1 ?? 50), '--t2', String(opts.t2 ?? 400), '--t4', String(opts.t4 ?? 500), ...(opts.extraArgs ?? [])];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null = null;
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => {
    exitCode = code ?? -1;
    resolve();
  }));
  const deadline = Date.now() + 10000;
  for (;;) {
    if (exitCode !== null) throw new Error(`engine exited with ${exitCode}:\n${lines.join('\n')}`);
    if ((await connectable(adminPort)) && (await connectable(httpPort))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`engine did not start within 10 s:\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const stats = (): Promise<Record<string, number>> => getJson(httpPort, '/stats');
  const waitFor = async (pred: (s: Record<string, number>) => boolean, timeoutMs: number, what: string): Promise<void> => {
    const end = Date.now() + timeoutMs;
    let last: Record<string, number> = {};
    while (Date.now() < end) {
      last = await stats();
      if (pred(last)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`engine not ${what} after ${timeoutMs} ms: ${JSON.stringify(last)}`);
  };
  return {
    sipPort, adminPort, httpPort, secret, stats,
    waitIdle: (timeoutMs = 5000) => waitFor((s) => s.dialogs === 0 && s.activeTransactions === 0, timeoutMs, 'idle'),
    waitDrained: (timeoutMs = 10000) => waitFor((s) => s.dialogs === 0 && s.transactions === 0, timeoutMs, 'drained'),
    logs: () => lines.join('\n'),
    async stop() {
      if (exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
