import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import type { Logger } from 'winston';
import { redisEnv } from '../runtime/allocator';
import { killStale, removePidfile, withParentDeathSignal, writePidfile } from '../runtime/child-guard';

export interface RedisProcessOptions {
  /** default: a free port picked on 127.0.0.1 */
  port?: number;
  logger: Logger;
  /** default 'redis-server' from PATH (Debian's package) */
  binary?: string;
  /** how long one start may take before it counts as failed (default 10 s) */
  startTimeoutMs?: number;
  /**
   * a folder of its own to keep the data in with AOF persistence (the server's
   * DATA_DIR/redis); unset: a temp folder and no persistence (tests)
   */
  dataDir?: string;
  /** AOF fsync policy with dataDir (default 'always': nothing acknowledged is lost) */
  appendfsync?: AppendFsync;
  /** pidfile folder: a redis-server an earlier run left there is killed first (runtime/child-guard.ts) */
  runDir?: string;
}

export type AppendFsync = 'always' | 'everysec' | 'no';

/** how the redis-server is run: where, and whether it keeps its data */
interface RedisRun {
  binary: string;
  dir: string;
  persist: AppendFsync | undefined;
  runDir: string | undefined;
  log: Logger;
  timeoutMs: number;
}

const PIDFILE = 'redis-server';

export interface RedisProcess {
  /** stays the same across restarts, so connected clients simply reconnect */
  readonly url: string;
  readonly port: number;
  /** the current process; changes when the supervisor restarts it */
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * A private redis-server on 127.0.0.1 for a single-host deployment or a test run,
 * restarted with back-off if it dies. With `dataDir` it keeps its data there in an
 * append-only file (fsync per `appendfsync`), so a restarted server, or the next start,
 * has everything acknowledged before; without, a temp folder and no persistence.
 */
export async function startRedis(opts: RedisProcessOptions): Promise<RedisProcess> {
  const log = opts.logger.child({ component: 'redis-server' });
  const dir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'feature-server-redis-')));
  const run: RedisRun = { binary: opts.binary ?? 'redis-server', dir, persist: opts.dataDir ? (opts.appendfsync ?? 'always') : undefined,
    runDir: opts.runDir, log, timeoutMs: opts.startTimeoutMs ?? 10000 };
  const stale = await killStale(opts.runDir, PIDFILE);
  if (stale !== undefined) log.warn('killed a redis-server an earlier run left behind', { pid: stale });
  try {
    // A port picked here can be taken by someone else before redis binds it; try another.
    for (let attempt = 1; ; attempt++) {
      const port = opts.port ?? (await pickFreePort());
      try {
        const child = await spawnReady(run, port);
        log.info('redis-server started', { port, pid: child.pid, persistence: run.persist ? `aof, appendfsync ${run.persist}` : 'none' });
        return new Supervisor(run, port, child);
      } catch (err) {
        if (opts.port !== undefined || attempt >= 3 || !/Address already in use/i.test(String(err))) throw err;
        log.warn('redis-server port taken, trying another', { port });
      }
    }
  } catch (err) {
    if (!opts.dataDir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Restarts the server on unexpected exits and stops it for good on stop(). */
class Supervisor implements RedisProcess {
  readonly url: string;
  private stopping = false;
  private restarts = 0;
  private startedAt = Date.now();
  private restartTimer: NodeJS.Timeout | undefined;

  private readonly log: Logger;

  constructor(
    private readonly run: RedisRun,
    readonly port: number,
    private child: ChildProcess,
  ) {
    this.log = run.log;
    this.url = `redis://127.0.0.1:${port}`;
    this.watch(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (isRunning(child)) {
      // SHUTDOWN NOSAVE first: redis closes its clients cleanly and writes nothing.
      await shutdownNoSave(this.url);
      if (!(await exitedWithin(child, 2000))) {
        child.kill('SIGTERM');
        if (!(await exitedWithin(child, 2000))) {
          child.kill('SIGKILL');
          await exitedWithin(child, 5000);
        }
      }
    }
    await removePidfile(this.run.runDir, PIDFILE);
    if (!this.run.persist) await rm(this.run.dir, { recursive: true, force: true });
    this.log.info('redis-server stopped', { port: this.port });
  }

  private watch(child: ChildProcess): void {
    child.once('exit', (code, signal) => {
      if (this.stopping || child !== this.child) return;
      // A server that ran a while before dying starts again at once; one that keeps
      // dying backs off up to 5 s so a broken host is not hammered.
      if (Date.now() - this.startedAt > 30000) this.restarts = 0;
      const delayMs = Math.min(100 * 2 ** this.restarts, 5000);
      this.restarts++;
      const lost = this.run.persist ? 'it reloads its append-only file' : 'its data is lost';
      this.log.error(`redis-server exited unexpectedly; restarting (${lost})`, {
        port: this.port, code, signal, restartInMs: delayMs, restarts: this.restarts,
      });
      this.restartTimer = setTimeout(() => void this.restart(), delayMs);
    });
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    try {
      const child = await spawnReady(this.run, this.port);
      if (this.stopping) {
        child.kill('SIGKILL');
        return;
      }
      this.child = child;
      this.startedAt = Date.now();
      this.watch(child);
      this.log.warn('redis-server restarted', { port: this.port, pid: child.pid, restarts: this.restarts });
    } catch (err) {
      // The failed attempt is the next "unexpected exit": back off further and retry.
      const delayMs = Math.min(100 * 2 ** this.restarts++, 5000);
      this.log.error('redis-server restart failed', { port: this.port, error: (err as Error).message, retryInMs: delayMs });
      if (!this.stopping) this.restartTimer = setTimeout(() => void this.restart(), delayMs);
    }
  }
}

/**
 * Spawns redis-server and resolves once it answers PING. Rather than polling on a timer,
 * each line redis writes (it logs "Ready to accept connections" once it listens) triggers
 * a PING; the first PONG wins.
 */
async function spawnReady(run: RedisRun, port: number): Promise<ChildProcess> {
  const { binary, dir, log, timeoutMs } = run;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--save', '',
    ...(run.persist ? ['--appendonly', 'yes', '--appendfsync', run.persist] : ['--appendonly', 'no']),
    '--dir', dir, '--daemonize', 'no', '--logfile', ''];
  const guarded = withParentDeathSignal(binary, args);
  // jemalloc's decay: memory of expired keys goes back to the system (issue #13; runtime/allocator.ts)
  const child = spawn(guarded.command, guarded.args, { stdio: ['ignore', 'pipe', 'pipe'], env: redisEnv() });
  void writePidfile(run.runDir, PIDFILE, child.pid, path.basename(binary));
  const output: string[] = [];
  const url = `redis://127.0.0.1:${port}`;

  return new Promise<ChildProcess>((resolve, reject) => {
    let settled = false;
    let pinging = false;
    let pingAgain = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      if (err) {
        if (isRunning(child)) child.kill('SIGKILL');
        reject(err);
      } else {
        resolve(child);
      }
    };
    const tryPing = async (): Promise<void> => {
      if (pinging) {
        pingAgain = true;
        return;
      }
      pinging = true;
      do {
        pingAgain = false;
        if (await ping(url)) return finish();
      } while (pingAgain && !settled);
      pinging = false;
    };
    const onLine = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        output.push(line);
        log.debug(line, { port });
      }
      if (output.length > 50) output.splice(0, output.length - 50);
      if (!settled) void tryPing();
    };
    const onExit = (code: number | null, signal: string | null): void => {
      finish(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output.join('\n')}`));
    };
    const timer = setTimeout(() => finish(new Error(`redis-server not ready within ${timeoutMs} ms:\n${output.join('\n')}`)), timeoutMs);
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.once('exit', onExit);
    child.once('error', (err) => finish(new Error(`cannot run ${binary}: ${err.message}`)));
  });
}

/** One PING over a short-lived connection that never retries. */
async function ping(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 1000 } });
  client.on('error', () => undefined); // a refused connection is the expected "not yet"
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

async function shutdownNoSave(url: string): Promise<void> {
  const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 1000 } });
  client.on('error', () => undefined); // the server closing the connection is the point
  try {
    await client.connect();
    await client.sendCommand(['SHUTDOWN', 'NOSAVE']);
  } catch {
    // SHUTDOWN has no reply when it succeeds; signals follow if it did not.
  } finally {
    client.destroy();
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function exitedWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (!isRunning(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(t);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
