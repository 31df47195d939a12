import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { freePort } from './ports';
import { pollUntil } from './redis';

/** One redis-server process of the set: a data node or a Sentinel. */
export interface RedisNode {
  readonly role: 'master' | 'replica' | 'sentinel';
  readonly port: number;
  readonly pid: number;
  /** SIGKILL, resolved once the process has exited */
  kill(): Promise<void>;
}

/**
 * A master, one replica and three Sentinels (quorum 2) on 127.0.0.1, with one password for
 * all of them, as deploy/k8s runs Redis. Sentinel's timers are short (down-after 1 s,
 * fail-over timeout 3 s) so a test sees a fail-over in seconds.
 */
export interface TestSentinelSet {
  readonly masterName: string;
  readonly password: string;
  readonly master: RedisNode;
  readonly replica: RedisNode;
  readonly sentinels: RedisNode[];
  /** REDIS_URL for the feature server: redis+sentinel://:password@the three Sentinels/masterName */
  readonly url: string;
  /** One command sent straight to one server or Sentinel (not through Sentinel discovery). */
  command(port: number, args: string[]): Promise<unknown>;
  /** The master's port as each running Sentinel names it (`SENTINEL get-master-addr-by-name`). */
  mastersNamed(): Promise<number[]>;
  /** Waits until every running Sentinel names `port` as the master. */
  waitForMaster(port: number, timeoutMs: number): Promise<void>;
  /** Stops every process still running and removes the temp dir. */
  stop(): Promise<void>;
}

const PASSWORD = 'sentinel-test-password';

export async function startSentinelSet(opts: { masterName?: string; downAfterMs?: number; failoverTimeoutMs?: number } = {}): Promise<TestSentinelSet> {
  const masterName = opts.masterName ?? 'feature-server';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'feature-server-sentinel-'));
  const started: Proc[] = [];
  const set = new SentinelSet(masterName, dir, started);
  try {
    const dataArgs = (port: number): string[] => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', dir, '--dbfilename', `dump-${port}.rdb`, '--requirepass', PASSWORD, '--masterauth', PASSWORD, '--logfile', ''];
    const masterPort = await freePort('tcp');
    const master = await set.spawn('master', masterPort, dataArgs(masterPort));
    const replicaPort = await freePort('tcp');
    const replica = await set.spawn('replica', replicaPort, [...dataArgs(replicaPort), '--replicaof', '127.0.0.1', String(masterPort)]);
    await pollUntil(async () => String(await set.command(replicaPort, ['INFO', 'replication'])), (info) => /master_link_status:up/.test(info),
      10000, 'replica in sync');

    for (let i = 0; i < 3; i++) {
      const port = await freePort('tcp');
      // Sentinel rewrites its configuration file (it records what it learns), so each one
      // gets its own, in the temp dir.
      const conf = path.join(dir, `sentinel-${port}.conf`);
      await writeFile(conf, [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        'logfile ""',
        `requirepass ${PASSWORD}`,
        `sentinel sentinel-pass ${PASSWORD}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
        `sentinel auth-pass ${masterName} ${PASSWORD}`,
        `sentinel down-after-milliseconds ${masterName} ${opts.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${masterName} ${opts.failoverTimeoutMs ?? 3000}`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'));
      set.sentinels.push(await set.spawn('sentinel', port, [conf, '--sentinel']));
    }
    // A fail-over needs each Sentinel to know the other two (they find each other through
    // hello messages on the master every 2 s) and the replica (from the master's INFO).
    for (const s of set.sentinels) {
      await pollUntil(async () => ({
        sentinels: (await set.command(s.port, ['SENTINEL', 'SENTINELS', masterName]) as unknown[]).length,
        replicas: (await set.command(s.port, ['SENTINEL', 'REPLICAS', masterName]) as unknown[])
          .map((r) => String(field(r, 'flags'))),
      }), (v) => v.sentinels === 2 && v.replicas.length === 1 && v.replicas[0] === 'slave', 20000, `Sentinel ${s.port} knows the set`);
    }
    set.master = master;
    set.replica = replica;
    return set;
  } catch (err) {
    await set.stop();
    throw err;
  }
}

class SentinelSet implements TestSentinelSet {
  readonly password = PASSWORD;
  readonly sentinels: RedisNode[] = [];
  master!: RedisNode;
  replica!: RedisNode;

  constructor(readonly masterName: string, private readonly dir: string, private readonly procs: Proc[]) {}

  get url(): string {
    return `redis+sentinel://:${PASSWORD}@${this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${this.masterName}`;
  }

  async spawn(role: RedisNode['role'], port: number, args: string[]): Promise<Proc> {
    const proc = new Proc(role, port, spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.procs.push(proc);
    await pollUntil(async () => {
      if (!proc.running) throw new Error(`redis-server (${role}, port ${port}) exited:\n${proc.output.join('\n')}`);
      return this.command(port, ['PING']).catch(() => 'not yet');
    }, (r) => r === 'PONG', 10000, `${role} on ${port} answers`);
    return proc;
  }

  async command(port: number, args: string[]): Promise<unknown> {
    // On loopback a connect succeeds or is refused at once; the timeout only bounds a hang.
    // A short one failed on a loaded machine: node runs an expired socket timer before it
    // polls the connect that completed meanwhile, so any event-loop stall longer than the
    // timeout reads as "Connection timeout".
    const client = createClient({ password: PASSWORD, socket: { host: '127.0.0.1', port, reconnectStrategy: false, connectTimeout: 10000 } });
    client.on('error', () => undefined); // a refused connection rejects connect() below
    try {
      await client.connect();
      return await client.sendCommand(args);
    } finally {
      client.destroy();
    }
  }

  async mastersNamed(): Promise<number[]> {
    const running = this.sentinels.filter((s) => (s as Proc).running);
    const named = await Promise.all(running.map(async (s) =>
      (await this.command(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName]) as string[] | null)?.[1]));
    return named.map(Number);
  }

  async waitForMaster(port: number, timeoutMs: number): Promise<void> {
    await pollUntil(() => this.mastersNamed(), (ports) => ports.length > 0 && ports.every((p) => p === port), timeoutMs,
      `every Sentinel names ${port} as master`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.kill()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

class Proc implements RedisNode {
  readonly output: string[] = [];
  private readonly exited: Promise<void>;

  constructor(readonly role: RedisNode['role'], readonly port: number, private readonly child: ChildProcess) {
    const keep = (chunk: Buffer): void => {
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.output.length > 50) this.output.splice(0, this.output.length - 50);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (err) => {
        this.output.push(`cannot run redis-server: ${err.message}`);
        if (!this.running) resolve(); // never started: no 'exit' follows
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** A field of a Sentinel reply entry, whether RESP3 gave it as a map or RESP2 as a flat list. */
function field(entry: unknown, name: string): unknown {
  if (entry instanceof Map) return entry.get(name);
  if (Array.isArray(entry)) return entry[entry.indexOf(name) + 1];
  return (entry as Record<string, unknown>)[name];
}
